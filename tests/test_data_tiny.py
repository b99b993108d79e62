"""The loader on small hand-made copies: traps handled, every bad input named by file and line."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from conftest import tiny_files, write_folder
from tunerec.data import DataError, check_dataset, load_dataset
from tunerec.data.source import MAX_MEMBER_BYTES


def load(path: Path):
    return load_dataset(path, use_cache=False)


def test_tiny_folder_loads_with_traps(tiny_dir: Path) -> None:
    ds = load(tiny_dir)
    assert ds.artist_name(2) == '"Weird Al" Yankovic'
    assert ds.artist_name(3) == "Björk"
    assert ds.tag_name(2) == "electrónica"
    assert ds.tags.at[3, "key"] == ds.tags.at[4, "key"] == "hip hop"
    assert not ds.artists.at[99, "known"] and ds.artist_name(99) == "unknown artist #99"
    # 1956 row excluded from sessions; 3 month sessions of >=1 artist remain for users 2,3,4
    keys = {(u, m) for u, m, _ in ds.session_list()}
    assert keys == {(2, 200904), (2, 200905), (3, 200904), (4, 201006)}
    assert len(ds.friends) == 2  # undirected, deduplicated
    assert set(ds.friends_of(3)) == {2, 4}


def test_tiny_zip_loads(tmp_path: Path) -> None:
    z = tmp_path / "tiny.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in tiny_files().items():
            zf.writestr(f"hetrec/{name}", data)
    assert len(load(z).plays) == 5


def corrupt(tmp_path: Path, name: str, data: bytes) -> Path:
    files = tiny_files()
    files[name] = data
    return write_folder(tmp_path / "bad", files)


def expect_error(path: Path, file: str, line: int | None = None, column: str | None = None, text: str = "") -> DataError:
    with pytest.raises(DataError) as info:
        load(path)
    err = info.value
    assert err.file is not None and err.file.endswith(file), str(err)
    assert file in str(err)
    if line is not None:
        assert err.line == line, str(err)
        assert f"line {line}" in str(err)
    if column is not None:
        assert err.column == column, str(err)
    assert text in str(err)
    return err


def test_missing_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d", tiny_files())
    (folder / "tags.dat").unlink()
    expect_error(folder, "tags.dat", text="missing file")


def test_missing_column(tmp_path: Path) -> None:
    data = tiny_files()["user_artists.dat"].replace(b"userID\tartistID\tweight", b"userID\tartistID")
    expect_error(corrupt(tmp_path, "user_artists.dat", data), "user_artists.dat", 1, "weight", "missing column")


def test_renamed_column(tmp_path: Path) -> None:
    data = tiny_files()["user_friends.dat"].replace(b"friendID", b"friend")
    expect_error(corrupt(tmp_path, "user_friends.dat", data), "user_friends.dat", 1, "friendID")


def test_non_integer_id(tmp_path: Path) -> None:
    data = tiny_files()["user_artists.dat"].replace(b"3\t4\t7", b"3\tfour\t7")
    expect_error(corrupt(tmp_path, "user_artists.dat", data), "user_artists.dat", 5, "artistID", "expected an integer")


def test_truncated_line(tmp_path: Path) -> None:
    data = tiny_files()["user_taggedartists.dat"].rstrip(b"\r\n")
    data = data[: data.rfind(b"\t")]  # last line loses its year
    expect_error(corrupt(tmp_path, "user_taggedartists.dat", data), "user_taggedartists.dat", 8, text="found 5")


def test_truncated_artist_line(tmp_path: Path) -> None:
    data = tiny_files()["artists.dat"].replace(b"\thttp://img/4.jpg", b"")
    expect_error(corrupt(tmp_path, "artists.dat", data), "artists.dat", 5, text="found 3")


def test_wrong_encoding(tmp_path: Path) -> None:
    data = tiny_files()["artists.dat"].replace("Björk".encode(), "Björk".encode("latin-1"))
    expect_error(corrupt(tmp_path, "artists.dat", data), "artists.dat", 4, text="not valid utf-8")


def test_empty_file(tmp_path: Path) -> None:
    expect_error(corrupt(tmp_path, "user_friends.dat", b""), "user_friends.dat", 1, text="empty")


def test_header_only_file(tmp_path: Path) -> None:
    expect_error(corrupt(tmp_path, "user_friends.dat", b"userID\tfriendID\r\n"), "user_friends.dat", 2, text="no rows")


def test_unknown_user_in_friends(tmp_path: Path) -> None:
    data = tiny_files()["user_friends.dat"] + b"4\t777\r\n"
    expect_error(corrupt(tmp_path, "user_friends.dat", data), "user_friends.dat", 6, "friendID", "unknown user 777")


def test_duplicate_rows_are_reported_and_dropped(tmp_path: Path) -> None:
    data = tiny_files()["user_artists.dat"] + b"4\t2\t1\r\n"
    ds = load(corrupt(tmp_path, "user_artists.dat", data))
    assert len(ds.plays) == 5
    assert any("user_artists.dat" in w and "line 7" in w and "duplicate" in w for w in ds.warnings)


def test_duplicate_tag_assignment_rows_dropped_in_both_files(tmp_path: Path) -> None:
    files = tiny_files()
    for name in ("user_taggedartists.dat", "user_taggedartists-timestamps.dat"):
        lines = files[name].split(b"\r\n")
        files[name] = b"\r\n".join(lines[:2] + [lines[1]] + lines[2:])
    ds = load(write_folder(tmp_path / "dup", files))
    assert len(ds.assignments) == 7
    assert any("duplicate" in w and "line 3" in w for w in ds.warnings)


def test_timestamp_file_out_of_step(tmp_path: Path) -> None:
    data = tiny_files()["user_taggedartists-timestamps.dat"].replace(b"3\t4\t3\t", b"3\t4\t1\t")
    expect_error(corrupt(tmp_path, "user_taggedartists-timestamps.dat", data), "user_taggedartists-timestamps.dat", 6)


def test_timestamp_date_mismatch_is_warned(tmp_path: Path) -> None:
    data = tiny_files()["user_taggedartists.dat"].replace(b"4\t2\t1\t1\t6\t2010", b"4\t2\t1\t2\t6\t2010")
    ds = load(corrupt(tmp_path, "user_taggedartists.dat", data))
    assert any("line 8" in w and "disagree" in w for w in ds.warnings)


def test_zip_member_with_dotdot_path(tmp_path: Path) -> None:
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in tiny_files().items():
            zf.writestr(name, data)
        zf.writestr("../escape.dat", b"x")
    expect_error(z, "evil.zip", text="'..'")


def test_zip_member_with_absolute_path(tmp_path: Path) -> None:
    z = tmp_path / "abs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("/etc/artists.dat", tiny_files()["artists.dat"])
    expect_error(z, "abs.zip", text="absolute path")


def test_zip_bomb_member(tmp_path: Path) -> None:
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in tiny_files().items():
            if name != "user_artists.dat":
                zf.writestr(name, data)
        with zf.open("user_artists.dat", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(MAX_MEMBER_BYTES // len(block) + 1):
                fh.write(block)
    assert z.stat().st_size < 2_000_000
    expect_error(z, "bomb.zip", text="zip bomb")


def test_neither_zip_nor_folder(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    expect_error(f, "notes.txt", text="neither a zip")


def test_missing_path(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope", "nope", text="no such file")


def test_check_lists_every_broken_file(tmp_path: Path) -> None:
    files = tiny_files()
    files["user_artists.dat"] = files["user_artists.dat"].replace(b"3\t4\t7", b"3\tx\t7")
    files["tags.dat"] = b""
    errors, _ = check_dataset(write_folder(tmp_path / "two", files))
    assert len(errors) == 2
    assert any("user_artists.dat, line 5" in e for e in errors)
    assert any("tags.dat, line 1" in e for e in errors)


def test_altered_bundled_zip_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tunerec.data.source as source

    fake = tmp_path / "assets" / source.BUNDLED_NAME
    fake.parent.mkdir()
    with zipfile.ZipFile(fake, "w") as zf:
        for name, data in tiny_files().items():
            zf.writestr(name, data)
    monkeypatch.setattr(source, "bundled_zip", lambda: fake)
    with pytest.raises(DataError, match="altered"):
        load_dataset()
