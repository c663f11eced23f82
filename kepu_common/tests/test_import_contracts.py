"""The import contracts (.importlinter, checked by import-linter's lint-imports) hold, and the gateway process
really loads no service runtime: schemas import no transport, database or media code, the gateway no
nameko/eventlet/database driver, and kepu_common has no import cycle; a boundary module (a service's schemas,
constants, contracts) imports only the standard library, marshmallow, kepu_common.interfaces, its own service's
constants and contracts, and schema modules; the gateway imports from services.* only boundary modules (issue 26)."""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter"), "--no-cache"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 kept, 0 broken" in done.stdout


def test_importing_the_gateway_loads_no_service_runtime():
    probe = "import json, sys, gateway; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    for runtime in ("eventlet", "nameko", "psycopg2", "pypdfium2", "av", "PIL", "rapidocr", "onnxruntime", "cv2", "kepu_common.data.db", "kepu_common.bus.rpc"):
        assert runtime not in loaded, f"importing the gateway loads {runtime}"


# --- the service/gateway boundary (issue 26) ------------------------------------------------------------
# import-linter's contract types say "not these", never "only these": the boundary is checked on grimp's graph
# (the one lint-imports builds). A service's boundary modules are its schemas, its constants (plain values) and
# its contracts (pure code both sides run, such as signed share ids); the gateway sees a service only through them.
SCHEMA_MODULE = re.compile(r"^services\.(?P<service>[a-z_]+)\.(?:(?!tests\.)[a-z_]+\.)?(?:[a-z_]+_)?schemas$")
SHARED_MODULE = re.compile(r"^services\.(?P<service>[a-z_]+)\.(?:constants|contracts)$")
THIRD_PARTY_ALLOWED = {"marshmallow"}


def _graph():
    import grimp

    return grimp.build_graph("gateway", "services", "kepu_common", include_external_packages=True, cache_dir=None)


def _service_of_boundary(module):
    match = SCHEMA_MODULE.match(module) or SHARED_MODULE.match(module)
    return match and match["service"]


def _line(graph, importer, imported):
    details = graph.get_import_details(importer=importer, imported=imported)
    return f"line {details[0]['line_number']}: {details[0]['line_contents']}" if details else "(indirect)"


def boundary_breaches(graph):
    """Each import that crosses the boundary the wrong way, as 'importer imports imported (line n: ...)':

    - a boundary module imports only the standard library, marshmallow, kepu_common.interfaces.*, its own
      service's constants and contracts, and schema modules;
    - the gateway's modules (its tests apart) import from services.* only boundary modules;
    - no boundary module is on an import cycle (a schema that a rule module imports back, say)."""
    breaches = []
    boundary = sorted(m for m in graph.modules if _service_of_boundary(m))
    for module in boundary:
        service = _service_of_boundary(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            top = imported.split(".")[0]
            allowed = (top in sys.stdlib_module_names or top in THIRD_PARTY_ALLOWED
                       or imported.startswith("kepu_common.interfaces.") or bool(SCHEMA_MODULE.match(imported))
                       or (SHARED_MODULE.match(imported) is not None and _service_of_boundary(imported) == service))
            if not allowed:
                breaches.append(f"{module} imports {imported} ({_line(graph, module, imported)})")
            elif top in ("services", "kepu_common") and graph.chain_exists(importer=imported, imported=module):
                breaches.append(f"{module} imports {imported} ({_line(graph, module, imported)}), "
                                f"which imports {module} back: an import cycle")
    gateway = sorted(m for m in graph.modules if m.split(".")[0] == "gateway" and not m.startswith("gateway.tests"))
    for module in gateway:
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported.split(".")[0] == "services" and not _service_of_boundary(imported):
                breaches.append(f"{module} imports {imported} ({_line(graph, module, imported)}): the gateway "
                                "imports only services' schemas, constants and contracts")
    return boundary, breaches


def test_schemas_and_the_gateway_stay_behind_the_service_boundary():
    boundary, breaches = boundary_breaches(_graph())
    # the rule reaches every schema module (a pattern that matched none would pass vacuously)
    for module in ("services.activities.schemas", "services.identity.schemas", "services.identity.notifications.schemas",
                   "services.metrics.schemas", "services.resources.schemas", "services.resources.social_schemas",
                   "services.resources.scrub_schemas", "services.review.schemas", "services.metrics.contracts",
                   "services.review.constants"):
        assert module in boundary
    assert not breaches, "imports across the service boundary (issue 26):\n" + "\n".join(breaches)
