"""The desktop-integration and per-OS packaging files agree with each other and with the app.

Building the bundle takes too long for the test suite (packaging/smoke_test.sh checks a built
one); these tests catch the cheap mistakes: a MIME type spelled two ways, a version not bumped,
an install script that writes the wrong Exec line.
"""

from __future__ import annotations

import configparser
import os
import plistlib
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from model import __version__
from model.resources import ICON_SIZES

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
MIME_NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
MIME_TYPE = "application/x-sonotag-project"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in .desktop files
    parser.read(PACKAGING / "linux" / "sonotag.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_opens_projects_through_the_cli() -> None:
    entry = desktop_entry()
    assert entry["Exec"] == "sonotag open %f"
    assert entry["Icon"] == "sonotag"
    assert entry["MimeType"].rstrip(";").split(";") == [MIME_TYPE]


def test_mime_type_matches_the_project_files_sqlite_application_id() -> None:
    root = ET.parse(PACKAGING / "linux" / "sonotag-mime.xml").getroot()
    mime = root.find("m:mime-type", MIME_NS)
    assert mime is not None and mime.get("type") == MIME_TYPE
    assert [g.get("pattern") for g in mime.findall("m:glob", MIME_NS)] == ["*.sonotag"]
    inner = mime.find("m:magic/m:match/m:match", MIME_NS)
    assert inner is not None and inner.get("offset") == "68"
    with sqlite3.connect(REPO / "resources" / "demo" / "demo.sonotag") as db:
        (app_id,) = db.execute("PRAGMA application_id").fetchone()
    assert int(inner.get("value", ""), 16) == app_id


def test_macos_plist_declares_the_project_type_and_never_asks_for_the_microphone() -> None:
    with open(PACKAGING / "macos" / "Info.plist", "rb") as handle:
        plist = plistlib.load(handle)
    assert "NSMicrophoneUsageDescription" not in plist
    (exported,) = plist["UTExportedTypeDeclarations"]
    tags = exported["UTTypeTagSpecification"]
    assert tags["public.filename-extension"] == ["sonotag"]
    assert tags["public.mime-type"] == MIME_TYPE
    owners = [d for d in plist["CFBundleDocumentTypes"] if d["LSHandlerRank"] == "Owner"]
    assert owners[0]["LSItemContentTypes"] == [exported["UTTypeIdentifier"]]


def test_windows_version_resource_matches_the_package_version() -> None:
    text = (PACKAGING / "windows" / "version_info.txt").read_text(encoding="utf-8")
    numbers = tuple(int(n) for n in __version__.split(".")) + (0,)
    assert f"filevers={numbers}" in text and f"prodvers={numbers}" in text
    assert f"StringStruct('FileVersion', '{__version__}')" in text
    assert f"StringStruct('ProductVersion', '{__version__}')" in text


def test_spec_and_scripts_parse() -> None:
    compile((PACKAGING / "sonotag.spec").read_text(encoding="utf-8"), "sonotag.spec", "exec")
    compile((PACKAGING / "sonotag_main.py").read_text(encoding="utf-8"), "sonotag_main", "exec")
    for script in ("build.sh", "smoke_test.sh", "linux/install-desktop.sh"):
        subprocess.run(["bash", "-n", str(PACKAGING / script)], check=True)


def test_install_desktop_puts_everything_in_the_users_data_dir(tmp_path: Path) -> None:
    exe = tmp_path / "my apps" / "sonotag"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    data, config = tmp_path / "data", tmp_path / "config"
    env = {**os.environ, "XDG_DATA_HOME": str(data), "XDG_CONFIG_HOME": str(config)}
    env["HOME"] = str(tmp_path)
    script = PACKAGING / "linux" / "install-desktop.sh"
    subprocess.run([str(script), str(exe)], env=env, check=True, capture_output=True)

    installed = (data / "applications" / "sonotag.desktop").read_text(encoding="utf-8")
    assert f'Exec="{exe}" open %f' in installed.splitlines()
    assert f"TryExec={exe}" in installed.splitlines()
    for size in ICON_SIZES:
        assert (data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "sonotag.png").is_file()
    assert (data / "mime" / "packages" / "sonotag-mime.xml").is_file()
    if (data / "mime" / "globs2").exists():  # update-mime-database is installed
        assert f"{MIME_TYPE}:*.sonotag" in (data / "mime" / "globs2").read_text()

    subprocess.run([str(script), "--uninstall"], env=env, check=True, capture_output=True)
    assert not (data / "applications" / "sonotag.desktop").exists()
    assert not list(data.glob("icons/hicolor/*/apps/sonotag.*"))
    mimeapps = config / "mimeapps.list"
    assert not mimeapps.exists() or MIME_TYPE not in mimeapps.read_text()


def test_desktop_entry_passes_the_freedesktop_validator() -> None:
    try:
        result = subprocess.run(
            ["desktop-file-validate", str(PACKAGING / "linux" / "sonotag.desktop")],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def load_entry_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sonotag_main", PACKAGING / "sonotag_main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # safe: the script only acts under __main__
    return module


def test_bundle_entry_turns_a_double_clicked_file_into_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_arguments = load_entry_script().cli_arguments
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "birds.sonotag"
    project.write_bytes(b"")
    assert cli_arguments(["sonotag", str(project)]) == ["open", str(project)]
    # Commands, options and missing files pass through untouched.
    (tmp_path / "info").write_text("")
    assert cli_arguments(["sonotag", "info", "a.wav"]) == ["info", "a.wav"]
    assert cli_arguments(["sonotag", "--version"]) == ["--version"]
    assert cli_arguments(["sonotag", str(tmp_path / "gone.sonotag")]) == [
        str(tmp_path / "gone.sonotag")
    ]
    assert cli_arguments(["sonotag"]) == []
