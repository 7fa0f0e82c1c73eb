"""The notebooks' Markdown reads well where students open them, not only on the website.

Colab, JupyterLab and VS Code render Markdown cells as CommonMark (plus raw HTML and
``$maths$``); MyST directives and roles, which only Jupyter Book understands, show there as
raw text. ``scripts/nbtools.py`` rewrites them into portable Markdown; these tests render every
notebook's Markdown with a plain CommonMark renderer (markdown-it-py) and fail on any MyST
syntax left, and check that every link of every notebook resolves.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from markdown_it import MarkdownIt

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    p.relative_to(REPO_ROOT)
    for d in ("book", "exercises", "solutions")
    for p in (REPO_ROOT / d).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
COMMONMARK = MarkdownIt("commonmark")

#: What MyST syntax looks like once a CommonMark renderer has rendered it.
RAW_MYST = {
    "directive fence": re.compile(r'<code class="language-\{[\w:-]+\}'),
    "role": re.compile(r"\{[A-Za-z][\w:-]*\}<code>"),
    "directive option": re.compile(r"(^|>|\n)\s*:(class|name|label|width|align):(\s|<)"),
    "colon fence": re.compile(r"(^|>|\n):::+"),
    "target label": re.compile(r"(^|>|\n)\([\w:-]+\)=\s*(<|\n|$)"),
    "admonition": re.compile(r"\{admonition\}"),
}


def _markdown_cells(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(REPO_ROOT / path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def _raw_myst(html: str) -> list[str]:
    return [name for name, pattern in RAW_MYST.items() if pattern.search(html)]


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=str)
def test_commonmark_shows_no_myst_syntax(notebook: Path) -> None:
    leftovers = []
    for index, source in _markdown_cells(notebook):
        html = COMMONMARK.render(source)
        found = _raw_myst(html)
        if found:
            leftovers.append(f"cell {index}: {', '.join(found)}")
    assert not leftovers, (
        f"{notebook} shows MyST syntax as raw text in Colab/JupyterLab: {leftovers}; "
        "run `python scripts/nbtools.py` (see README, Writing notebooks)"
    )


def test_the_detector_sees_raw_myst() -> None:
    """The patterns above fire on the MyST the course used to write (so they can fail)."""
    samples = [
        "```{admonition} Misconception: x\n:class: warning\n\nText.\n```",
        "```{note}\nText.\n```",
        ":::{tip}\nText.\n:::",
        "In {exercise}`Exercise 3 <03_responsibilities>` you ...",
        "(my-label)=\n# Title",
    ]
    for sample in samples:
        assert _raw_myst(COMMONMARK.render(sample)), sample


# --------------------------------------------------------------------------------------------
# The conversion (scripts/nbtools.py), on samples of every construct it rewrites

ADMONITION = """Before.

```{admonition} Misconception: "a covariance divides by $N_k - 1$"
:class: warning

`np.cov` divides by $N_k - 1$:

* one
* two
```
After."""


def test_admonition_becomes_html_that_keeps_its_markdown(nbtools, repository) -> None:
    out = nbtools.portable_markdown(ADMONITION, repository, "book/02_chicken_and_egg.ipynb")
    assert "{admonition}" not in out and ":class:" not in out
    html = COMMONMARK.render(out)
    assert '<div class="admonition warning"' in html
    assert "border-left:" in html  # a visible box in front ends without the site's CSS
    # the title and the body are still Markdown: bold title, code, a list, maths untouched
    assert '<strong>Misconception: &quot;a covariance divides by $N_k - 1$&quot;</strong>' in html
    assert "<code>np.cov</code>" in html and "<li>one</li>" in html
    assert html.count("<div") == html.count("</div>") == 2
    assert html.rstrip().endswith("<p>After.</p>")
    assert nbtools.portable_markdown(out, repository, "book/a.ipynb") == out  # idempotent
    assert not nbtools.myst_leftovers(out)


@pytest.mark.parametrize(
    ("source", "css_class", "title"),
    [
        ("```{note}\nBody $x$.\n```", "note", "Note"),
        ("```{tip}\nBody.\n```", "tip", "Tip"),
        ("```{warning}\nBody.\n```", "warning", "Warning"),
        (":::{important}\nBody.\n:::", "important", "Important"),
        (
            "````{admonition} More traps\n:class: tip\n\n```python\nx = 1\n```\n````",
            "tip",
            "More traps",
        ),
    ],
)
def test_every_admonition_form(nbtools, repository, source, css_class, title) -> None:
    out = nbtools.portable_markdown(source, repository, "book/a.ipynb")
    html = COMMONMARK.render(out)
    assert f'class="admonition {css_class}"' in html and f"<strong>{title}</strong>" in html
    assert not _raw_myst(html), html


def test_nested_admonitions(nbtools, repository) -> None:
    source = "::::{note}\nOuter.\n\n:::{warning}\nInner.\n:::\n::::"
    html = COMMONMARK.render(nbtools.portable_markdown(source, repository, "book/a.ipynb"))
    assert 'class="admonition note"' in html and 'class="admonition warning"' in html
    assert not _raw_myst(html)


def test_code_is_left_alone(nbtools, repository) -> None:
    source = "Write ``{exercise}`x` `` like this:\n\n```markdown\n```{note}\nhi\n```\n```"
    assert nbtools.portable_markdown(source, repository, "book/a.ipynb") == source


def test_links_become_absolute_colab_links(nbtools, repository) -> None:
    prefix = repository.colab_prefix
    source = (
        "See {exercise}`Exercise 3 <03_responsibilities>`, {colab}`solutions/x.ipynb`,\n"
        "[Chapter 1](01_mixture_model.ipynb), [there](../book/05_em_loop.ipynb#restarts) and "
        "$\\pi$ or {math}`\\mu`; [web](https://example.org/a.ipynb) stays."
    )
    out = nbtools.portable_markdown(source, repository, "book/03_e_step.ipynb")
    assert f"[Exercise 3]({prefix}exercises/03_responsibilities.ipynb)" in out
    assert f"[solutions/x.ipynb (opens in Colab)]({prefix}solutions/x.ipynb)" in out
    assert f"[Chapter 1]({prefix}book/01_mixture_model.ipynb)" in out
    assert f"[there]({prefix}book/05_em_loop.ipynb#restarts)" in out
    assert "$\\mu$" in out and "(https://example.org/a.ipynb)" in out
    # relative to the notebook's own folder
    out = nbtools.portable_markdown("[C2](../book/02_chicken_and_egg.ipynb)", repository,
                                    "exercises/02_fit_with_known_labels.ipynb")
    assert out == f"[C2]({prefix}book/02_chicken_and_egg.ipynb)"


def test_links_are_restamped_when_the_repository_moves(nbtools, repository) -> None:
    old = nbtools.portable_markdown("[C1](01_mixture_model.ipynb)", repository, "book/a.ipynb")
    fork = nbtools.Repository("https://github.com/someone/fork", "dev", "", repository.colab_url)
    new = nbtools.portable_markdown(old, fork, "book/a.ipynb")
    assert new == f"[C1]({fork.colab_prefix}book/01_mixture_model.ipynb)"
    assert "/someone/fork/blob/dev/" in new


def test_unportable_myst_is_reported(nbtools, repository) -> None:
    found = nbtools.myst_leftovers("(label)=\n# T\n\nSee {ref}`label`.\n\n```{figure} a.png\n```")
    assert any("target" in f for f in found) and any("{ref}" in f for f in found)
    assert any("{figure}" in f for f in found)
    with pytest.raises(nbtools.MarkdownError, match="never closed"):
        nbtools.portable_markdown("```{note}\nno end", repository, "book/a.ipynb")
    with pytest.raises(nbtools.MarkdownError, match="dropdown"):
        nbtools.portable_markdown("```{note}\n:class: dropdown\nx\n```", repository, "book/a.ipynb")


def test_check_reports_what_fix_rewrites(nbtools, repository) -> None:
    nb = nbtools.tidy_notebook(nbformat.v4.new_notebook(), repository)
    nb.cells.append(nbformat.v4.new_markdown_cell(ADMONITION))
    nb.cells.append(nbformat.v4.new_code_cell("from jupyterquiz import display_quiz"))
    problems = nbtools.notebook_problems(nb, repository, "book/a.ipynb")
    assert any("MyST" in p for p in problems) and any("quiz" in p for p in problems)
    fixed = nbtools.tidy_notebook(nb, repository, "book/a.ipynb")
    assert nbtools.notebook_problems(fixed, repository, "book/a.ipynb") == []
    assert fixed.cells[-1].source == "from emlib.quiz import display_quiz"


def test_check_fails_on_a_link_to_a_missing_notebook(nbtools, repository, tmp_path) -> None:
    nb = nbtools.tidy_notebook(nbformat.v4.new_notebook(), repository)
    nb.cells.append(nbformat.v4.new_markdown_cell("{exercise}`Exercise 9 <09_nothing>`"))
    path = tmp_path / "book" / "a.ipynb"
    path.parent.mkdir()
    nb = nbtools.tidy_notebook(nb, repository, "book/a.ipynb")
    path.write_text(nbtools.canonical_text(nb), encoding="utf-8")
    problems = nbtools.check_file(path, repository, tmp_path)
    assert problems == ["cell 1 links to exercises/09_nothing.ipynb, which does not exist"]


# --------------------------------------------------------------------------------------------
# Every link of every notebook resolves


def _links(nbtools) -> list[tuple[str, int, str]]:
    found = []
    for notebook in NOTEBOOKS:
        for index, source in _markdown_cells(notebook):
            tokens = COMMONMARK.parse(source)
            for token in tokens:
                for child in token.children or []:
                    if child.type == "link_open":
                        found.append((str(notebook), index, str(child.attrGet("href"))))
    return found


def test_every_notebook_link_resolves(nbtools, repository) -> None:
    links = _links(nbtools)
    assert links, "no link found in any notebook: the parser found nothing"
    prefix = repository.colab_prefix
    broken, external = [], {}
    for notebook, index, url in links:
        where = f"{notebook}, cell {index}: {url}"
        if url.startswith(prefix):
            path = urlsplit(url).path.split("/blob/", 1)[1].split("/", 1)[1]
            if not (REPO_ROOT / path).is_file():
                broken.append(f"{where} -> no {path} in the repository")
        elif url.startswith(("https://", "http://")):
            if "colab.research.google.com" in url:
                broken.append(f"{where} -> a Colab link outside {prefix}")
            external.setdefault(url, set()).add(notebook)
        else:
            broken.append(f"{where} -> not a chapter, exercise or external URL (dead on Colab)")
    assert not broken, "broken notebook links:\n  " + "\n  ".join(broken)
    # External links are listed for a person to review (they are not fetched).
    out = REPO_ROOT / "_build" / "notebook_external_links.txt"
    out.parent.mkdir(exist_ok=True)
    lines = [f"# {len(external)} external links of the notebooks (not fetched by the tests)"]
    lines += [f"{u}\t{' '.join(sorted(external[u]))}" for u in sorted(external)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = [u for u in external if not re.match(r"^https?://[^/\s]+\.[^/\s]+", u)]
    assert not bad, f"malformed external links: {bad}"


def test_chapters_link_their_exercise(chapter_notebooks, repository) -> None:
    """Each chapter with an exercise notebook links it (on Colab), so students can get there."""
    exercises = {p.stem[:2]: p for p in (REPO_ROOT / "exercises").glob("*.ipynb")}
    missing = []
    for chapter in chapter_notebooks:
        number = Path(chapter).stem[:2]
        if number not in exercises:
            continue
        text = "".join(s for _, s in _markdown_cells(Path(f"{chapter}.ipynb")))
        target = repository.colab_link(f"exercises/{exercises[number].name}")
        if target not in text:
            missing.append(f"{chapter} does not link {target}")
    assert not missing, "\n".join(missing)
