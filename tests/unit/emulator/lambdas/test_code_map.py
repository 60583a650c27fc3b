from pathlib import Path

import pytest

from emulator.lambdas.code_map import CodeMapError, repository_name, resolve_code_dir


@pytest.mark.parametrize(
    ("uri", "repository"),
    [
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/local-books-command@sha256:" + "a" * 64,
            "local-books-command",
        ),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/itest-fn:latest", "itest-fn"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1", "team/app"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/plain", "plain"),
    ],
)
def test_repository_name_strips_registry_digest_and_tag(uri: str, repository: str) -> None:
    assert repository_name(uri) == repository


def test_unparseable_image_uri_is_a_clear_error() -> None:
    with pytest.raises(CodeMapError, match="cannot parse"):
        repository_name("no-slash-here")


def test_first_matching_pattern_wins_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "special").mkdir()
    (tmp_path / "services").mkdir()
    entries = [("*-query", "special"), ("*", "services")]
    uri = "1.dkr.ecr.us-east-1.amazonaws.com/local-books-query@sha256:" + "b" * 64
    assert resolve_code_dir(uri, entries, tmp_path) == (tmp_path / "special").resolve()
    other = "1.dkr.ecr.us-east-1.amazonaws.com/local-books-command:latest"
    assert resolve_code_dir(other, entries, tmp_path) == (tmp_path / "services").resolve()


def test_absolute_directories_are_used_as_is(tmp_path: Path) -> None:
    uri = "1.dkr.ecr.us-east-1.amazonaws.com/x:1"
    assert resolve_code_dir(uri, [("x", str(tmp_path))], Path("/nonexistent")) == tmp_path.resolve()


def test_no_matching_entry_names_the_repository(tmp_path: Path) -> None:
    with pytest.raises(CodeMapError, match="'orders'"):
        resolve_code_dir("1.dkr.ecr.us-east-1.amazonaws.com/orders:1", [("books-*", "services")], tmp_path)


def test_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CodeMapError, match="no such directory"):
        resolve_code_dir("1.dkr.ecr.us-east-1.amazonaws.com/x:1", [("*", "missing")], tmp_path)
