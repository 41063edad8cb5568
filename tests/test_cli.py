"""What every console script shares (cmn_vfx.console.run_cli): --debug anywhere, exit codes, defaults in help."""
import argparse
import os

import pytest

from cmn_vfx.cli import matte_main
from cmn_vfx.console import EXIT_CODES, run_cli
from cmn_vfx.commands.evaluate import main as eval_main
from cmn_vfx.errors import BadInputError
from cmn_vfx.installed import MODELS_DIR
from cmn_vfx.job.spec import ShotSpec


def _parser_with_sub(handler):
    parser = argparse.ArgumentParser(prog="tool")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("go")
    p.add_argument("--size", type=int, default=5, help="a size")
    p.add_argument("--name", help="a name (default: the plate's)")
    p.add_argument("--flag", action="store_true", help="a flag")
    p.set_defaults(func=handler)
    return parser


@pytest.mark.parametrize("argv", [["--debug", "go"], ["go", "--debug"], ["go", "--size", "3", "--debug"]])
def test_debug_is_taken_before_or_after_the_subcommand(argv, capsys):
    def handler(args):
        raise BadInputError("bad plate; fix it")

    assert run_cli(_parser_with_sub(handler), argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("tool: error: bad plate; fix it")


def test_without_debug_a_user_error_is_one_line(capsys):
    def handler(args):
        raise BadInputError("bad plate; fix it")

    assert run_cli(_parser_with_sub(handler), ["go"]) == 2
    assert capsys.readouterr().err == "tool: error: bad plate; fix it\n"


def test_an_internal_error_exits_1_with_the_debug_hint(capsys):
    def handler(args):
        raise ZeroDivisionError("division by zero")

    assert run_cli(_parser_with_sub(handler), ["go"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: ZeroDivisionError" in err and "--debug" in err


def test_a_module_of_an_extra_names_the_extra(capsys):
    def handler(args):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    assert run_cli(_parser_with_sub(handler), ["go"]) == 2
    assert "pip install 'cmn-vfx[torch]'" in capsys.readouterr().err


def test_help_shows_defaults_and_exit_codes(capsys):
    parser = _parser_with_sub(lambda args: 0)
    with pytest.raises(SystemExit):
        run_cli(parser, ["go", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "a size (default: 5)" in out
    assert "a name (default: the plate's)" in out and "(default: None)" not in out and "(default: False)" not in out
    assert " ".join(EXIT_CODES.split()) in out


@pytest.mark.parametrize("main, argv", [(matte_main, ["--help"]), (matte_main, ["run", "--help"]),
                                        (eval_main, ["--help"])])
def test_console_scripts_document_every_exit_code(main, argv, capsys):
    with pytest.raises(SystemExit):
        main(argv)
    out = " ".join(capsys.readouterr().out.split())
    for code in ("0 done", "1 internal error", "2 bad input", "3 partly done", "130 interrupted", "141 output pipe"):
        assert code in out


def test_debug_after_cmn_eval_arguments(tmp_path, capsys):
    assert eval_main([str(tmp_path / "none.####.exr"), str(tmp_path / "truth.####.exr"), "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_spec_paths_are_joined_with_the_spec_folder_and_normalised(tmp_path):
    folder = tmp_path / "shows" / "abc" / "specs"
    folder.mkdir(parents=True)
    spec_path = folder / "sh010.yaml"
    spec_path.write_text("plate: ../plates/sh010.####.exr\noutput: ./../cmn/sh010\nmodel: ../models/x.pt\n")
    spec = ShotSpec.from_yaml(str(spec_path))
    assert spec.plate == str(tmp_path / "shows" / "abc" / "plates" / "sh010.####.exr")
    assert spec.output == str(tmp_path / "shows" / "abc" / "cmn" / "sh010")
    assert spec.model == str(tmp_path / "shows" / "abc" / "models" / "x.pt")


def test_export_onnx_of_a_bundled_model_never_writes_into_the_package(capsys):
    before = sorted(os.listdir(MODELS_DIR))
    assert matte_main(["export-onnx", "--model", "default"]) == 2
    assert "--out" in capsys.readouterr().err
    assert sorted(os.listdir(MODELS_DIR)) == before
