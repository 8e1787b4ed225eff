"""Where a recording's site comes from: GUANO, the AudioMoth id, else its folder."""

from __future__ import annotations

from pathlib import Path

import guano
import numpy as np
import soundfile as sf

from model.audio import probe
from model.audio.site import audiomoth_id, clean_site, find_site, folder_site, guano_site


def test_guano_site_fields_in_order() -> None:
    block = "GUANO|Version: 1.0\nSerial: SMU-1234\nWA|Song Meter|Prefix: NORTH\n"
    assert guano_site(block) == "NORTH"  # the Song Meter prefix beats the serial
    assert guano_site(block + "XX|Site: Hedge 3\n") == "Hedge 3"  # a site field beats both
    assert guano_site("GUANO|Version: 1.0\nSerial: SMU-1234\n") == "SMU-1234"
    assert guano_site("GUANO|Version: 1.0\nTimestamp: 2022-06-01T22:15:00Z\n") is None
    assert guano_site(b"\x00\xff not guano at all") is None
    assert guano_site(None) is None


def test_audiomoth_id_from_artist_or_comment() -> None:
    comment = (
        "Recorded at 04:00:00 02/05/2021 (UTC) by AudioMoth 247AA5075E06337D at gain setting 2 "
        "while battery state was 4.2V."
    )
    assert audiomoth_id(None, comment) == "247AA5075E06337D"
    assert audiomoth_id("AudioMoth 247aa5075e06337d") == "247AA5075E06337D"
    assert audiomoth_id("Zoom H4n", "a comment") is None


def test_folder_is_the_default_and_names_are_one_short_line() -> None:
    assert find_site(Path("card/SITE-A/x.wav")) == ("SITE-A", "folder")
    assert find_site(Path("x.wav"), metadata={"artist": "AudioMoth 247AA5075E06337D"}) == (
        "247AA5075E06337D",
        "audiomoth-id",
    )
    assert folder_site("D:/Field/Hedge north/x.wav") == "Hedge north"
    assert clean_site(" a\tb\nc ") == "a b c" and len(clean_site("x" * 500)) == 80
    assert clean_site("carte_\udce9t\udce9") == "carte_\ufffdt\ufffd"  # a non-UTF-8 folder


def test_probe_reads_the_site_of_real_and_guano_files(real_data: Path, tmp_path: Path) -> None:
    moth = probe(real_data / "pykanto-raw/AM/20210502_040000.WAV")
    assert (moth.site, moth.site_source) == ("247AA5075E06337D", "audiomoth-id")
    tit = probe(real_data / "great_tit/2021-B32-0415_05-3.wav")
    assert (tit.site, tit.site_source) == ("great_tit", "folder")
    (tmp_path / "bats").mkdir()
    bat = tmp_path / "bats" / "b.wav"
    sf.write(str(bat), np.zeros(8000, np.float32), 8000)
    g = guano.GuanoFile(str(bat))
    g["Loc Name"] = "Bridge roost"
    g.write(make_backup=False)
    info = probe(bat)
    assert (info.site, info.site_source) == ("Bridge roost", "guano")


def test_a_file_named_from_its_own_folder_gets_that_folder_as_site(
    tmp_path: Path, monkeypatch
) -> None:
    """``sonotag info a.wav`` run in the recording's folder said "site (none)" while adding
    the same file to a project gave it the folder's name."""
    folder = tmp_path / "Hedge 3"
    folder.mkdir()
    sf.write(str(folder / "a.wav"), np.zeros(800, np.float32), 8000)
    monkeypatch.chdir(folder)
    info = probe(Path("a.wav"))
    assert (info.site, info.site_source) == ("Hedge 3", "folder")
