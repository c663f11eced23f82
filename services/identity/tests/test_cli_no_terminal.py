"""create-admin run where nobody can type (a script, a pipe, CI): a clear refusal, not getpass's traceback."""
import io

from services.identity import cli


def test_create_admin_without_a_terminal_names_password_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: what `</dev/null` or a pipe gives
    monkeypatch.setattr(cli, "create_admin", lambda *args: (_ for _ in ()).throw(AssertionError("no password")))
    assert cli.main(["create-admin", "--phone", "13800138000"]) == 2
    assert "--password-stdin" in capsys.readouterr().err
