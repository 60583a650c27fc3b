"""The books API end to end over real HTTP with real tokens: writes, projection, reads, auth, errors."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.e2e.conftest import new_book
from tests.support.waits import wait_for

BOOKS = "/v1/catalog/books"
PROJECTION_TIMEOUT = 20.0


def create(api_url: str, writer: dict[str, str], **overrides: Any) -> requests.Response:
    response = requests.post(f"{api_url}{BOOKS}", json=new_book(**overrides), headers=writer, timeout=15)
    assert response.status_code == 201, response.text
    return response


def wait_for_version(api_url: str, book_id: str, version: int) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        response = requests.get(f"{api_url}{BOOKS}/{book_id}", timeout=10)
        if response.status_code == 200 and response.json()["version"] >= version:
            return dict(response.json())
        return None

    return wait_for(
        probe, timeout=PROJECTION_TIMEOUT, interval=0.1, what=f"book {book_id} v{version} projected"
    )


def test_created_book_is_projected_and_read_back(api_url: str, writer: dict[str, str]) -> None:
    payload = new_book(subtitle="A Novel")
    response = requests.post(f"{api_url}{BOOKS}", json=payload, headers=writer, timeout=15)

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"].endswith(f"{BOOKS}/{created['id']}")
    assert response.headers["ETag"] == f'"{created["version"]}"'
    uuid.UUID(created["id"])

    read = wait_for_version(api_url, created["id"], created["version"])
    assert {k: read[k] for k in payload} == payload
    get = requests.get(f"{api_url}{BOOKS}/{created['id']}", timeout=10)
    assert get.headers["ETag"] == f'"{created["version"]}"'


def test_list_filters_by_author_and_paginates_with_cursor(api_url: str, writer: dict[str, str]) -> None:
    author = f"Pagination Author {uuid.uuid4().hex[:8]}"
    ids = {create(api_url, writer, authors=[author]).json()["id"] for _ in range(3)}

    def all_listed() -> bool:
        listed = requests.get(f"{api_url}{BOOKS}", params={"author": author, "limit": 100}, timeout=10).json()
        return {item["id"] for item in listed["items"]} == ids

    wait_for(all_listed, timeout=PROJECTION_TIMEOUT, what="three books listed by author")

    first = requests.get(f"{api_url}{BOOKS}", params={"author": author, "limit": 2}, timeout=10)
    assert first.status_code == 200
    page1 = first.json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = requests.get(
        f"{api_url}{BOOKS}", params={"author": author, "limit": 2, "cursor": page1["next_cursor"]}, timeout=10
    ).json()
    seen = [item["id"] for item in page1["items"] + page2["items"]]
    assert sorted(seen) == sorted(ids)
    assert not page2.get("next_cursor")


def test_bad_limit_and_bad_cursor_are_400(api_url: str) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"cursor": "not-a-cursor"}):
        response = requests.get(f"{api_url}{BOOKS}", params=params, timeout=10)
        assert response.status_code == 400, (params, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json")


def test_put_with_if_match_updates_and_stale_if_match_is_412(api_url: str, writer: dict[str, str]) -> None:
    created = create(api_url, writer).json()
    replacement = new_book(title="Replaced title", isbn=created["isbn"])

    updated = requests.put(
        f"{api_url}{BOOKS}/{created['id']}",
        json=replacement,
        headers={**writer, "If-Match": '"1"'},
        timeout=15,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2 and updated.json()["title"] == "Replaced title"

    stale = requests.put(
        f"{api_url}{BOOKS}/{created['id']}",
        json=replacement,
        headers={**writer, "If-Match": '"1"'},
        timeout=15,
    )
    assert stale.status_code == 412, stale.text
    assert wait_for_version(api_url, created["id"], 2)["title"] == "Replaced title"


def test_patch_merges_and_stale_if_match_is_412(api_url: str, writer: dict[str, str]) -> None:
    created = create(api_url, writer).json()
    headers = {**writer, "Content-Type": "application/merge-patch+json"}
    patched = requests.patch(
        f"{api_url}{BOOKS}/{created['id']}",
        json={"page_count": 321},
        headers={**headers, "If-Match": '"1"'},
        timeout=15,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["page_count"] == 321 and patched.json()["title"] == created["title"]
    stale = requests.patch(
        f"{api_url}{BOOKS}/{created['id']}",
        json={"page_count": 1},
        headers={**headers, "If-Match": '"1"'},
        timeout=15,
    )
    assert stale.status_code == 412


def test_delete_then_get_is_404(api_url: str, writer: dict[str, str]) -> None:
    created = create(api_url, writer).json()
    wait_for_version(api_url, created["id"], 1)

    deleted = requests.delete(
        f"{api_url}{BOOKS}/{created['id']}", headers={**writer, "If-Match": '"1"'}, timeout=15
    )
    assert deleted.status_code == 204, deleted.text

    def gone() -> bool:
        return requests.get(f"{api_url}{BOOKS}/{created['id']}", timeout=10).status_code == 404

    wait_for(gone, timeout=PROJECTION_TIMEOUT, what="deleted book to disappear from reads")
    again = requests.delete(f"{api_url}{BOOKS}/{created['id']}", headers=writer, timeout=15)
    assert again.status_code == 404


def test_post_without_token_is_401(api_url: str) -> None:
    response = requests.post(f"{api_url}{BOOKS}", json=new_book(), timeout=10)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert "www-authenticate" in {k.lower() for k in response.headers}


def test_post_without_write_scope_is_403(api_url: str, read_only_token: str) -> None:
    response = requests.post(
        f"{api_url}{BOOKS}",
        json=new_book(),
        headers={"Authorization": f"Bearer {read_only_token}"},
        timeout=10,
    )
    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_invalid_body_is_400_with_field_errors(api_url: str, writer: dict[str, str]) -> None:
    body = {"title": "", "authors": [], "isbn": "9780441172710", "published_year": 1200}
    response = requests.post(f"{api_url}{BOOKS}", json=body, headers=writer, timeout=10)

    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"title", "authors", "isbn", "published_year"} <= fields


def test_non_json_body_is_415(api_url: str, writer: dict[str, str]) -> None:
    headers = {**writer, "Content-Type": "text/plain"}
    response = requests.post(f"{api_url}{BOOKS}", data="title=Dune", headers=headers, timeout=10)
    assert response.status_code == 415


def test_duplicate_isbn_is_409(api_url: str, writer: dict[str, str]) -> None:
    first = create(api_url, writer).json()
    duplicate = requests.post(
        f"{api_url}{BOOKS}", json=new_book(isbn=first["isbn"]), headers=writer, timeout=10
    )
    assert duplicate.status_code == 409
    assert duplicate.headers["Content-Type"].startswith("application/problem+json")


def test_retried_post_with_idempotency_key_creates_once(api_url: str, writer: dict[str, str]) -> None:
    headers = {**writer, "Idempotency-Key": uuid.uuid4().hex}
    payload = new_book()
    first = requests.post(f"{api_url}{BOOKS}", json=payload, headers=headers, timeout=15)
    second = requests.post(f"{api_url}{BOOKS}", json=payload, headers=headers, timeout=15)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]


def test_unknown_book_is_404_problem(api_url: str) -> None:
    response = requests.get(f"{api_url}{BOOKS}/{uuid.uuid4()}", timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
