"""Search snippets: only the API's <mark> highlights survive as markup."""

from __future__ import annotations

from ui.pages.search import marked_only


def test_marks_stay_and_everything_else_is_text() -> None:
    snippet = "job &lt;b&gt; is <mark>failed</mark> <script>alert(1)</script> &amp; more"
    assert marked_only(snippet) == (
        "job &lt;b&gt; is <mark>failed</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; more"
    )
