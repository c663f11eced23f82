"""`required` in the OpenAPI document (issue 28, docs/api-clients.md): every component that only answers marks
the properties it always has, so a generated client types them as present, not as maybe-Unset. Whether the
answers really have them is checked against the running platform by tests/answer_check.py."""
from gateway.smorest import MAY_BE_ABSENT, answer_only_components


def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_every_answer_component_with_always_present_fields_marks_them_required(client):
    spec = document(client)
    schemas = spec["components"]["schemas"]
    objects = {name for name, schema in schemas.items() if schema.get("properties")}
    answers = answer_only_components(spec) & objects
    unmarked, with_always = [], set()
    for name in sorted(answers):
        properties = schemas[name]["properties"]
        always = {prop for prop, spec_ in properties.items()
                  if prop not in MAY_BE_ABSENT.get(name, ()) and not spec_.get("writeOnly")}
        if always:
            with_always.add(name)
            if not always <= set(schemas[name].get("required", ())):
                unmarked.append(name)
    assert not unmarked, f"answer components without their always-present fields required: {unmarked}"
    marked = {name for name in objects if schemas[name].get("required")}
    print(f"{len(marked)} of {len(objects)} object schemas mark required ({len(schemas)} components)")
    # the count: every answering object schema with an always-present field marks some
    assert len(with_always) > 100 and with_always <= marked


def test_what_may_be_absent_names_real_properties_and_stays_optional(client):
    schemas = document(client)["components"]["schemas"]
    for name, absent in MAY_BE_ABSENT.items():
        assert absent <= set(schemas[name]["properties"]), (name, absent - set(schemas[name]["properties"]))
        assert not absent & set(schemas[name].get("required", ())), name
    # the public activity's answer is what the opt-out is for; what every activity has stays required
    assert {"id", "name", "start_at", "supervising_unit"} <= set(schemas["Activity"]["required"])


def test_a_component_shared_with_requests_gets_no_answer_side_required(client):
    """A request body's component says what the client must send: only the load schema's required ones."""
    spec = document(client)
    schemas = spec["components"]["schemas"]
    shared = {"ActivityDetails", "Settings"} - answer_only_components(spec)
    assert shared == {"ActivityDetails", "Settings"}
    assert "required" not in schemas["Settings"]
    assert set(schemas["ActivityDetails"]["required"]) == {"content", "audience", "scientists", "contact_person",
                                                           "contact_phone"}
