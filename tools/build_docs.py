"""Build the offline docs site of pgnb from nbs/ with PyPI-only tools (mkdocs + mkdocs-jupyter + material; nbdev's
Quarto cannot be installed from PyPI here), then check every internal link of the built site.

    python tools/build_docs.py            # -> site/ (open site/index.html); fails on a broken internal link
    python tools/build_docs.py --serve    # the same, served on http://127.0.0.1:8000 while you edit

Pages: the README (home), docs/*.md, every library notebook of nbs/ (as stored: they are the tested source), and
one page per study step: the executed report of `dvc repro` (results/<study>/NN_<step>.ipynb) with the step's
figures, or the unexecuted notebook with a note where the pipeline has not run yet."""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / ".docs_build"      # generated mkdocs project (git-ignored)
SITE = ROOT / "site"              # built site (git-ignored)
STUDIES = ("polycrystal", "gb", "li", "cathode")


def title_of(notebook: Path) -> str:
    "The notebook's first markdown heading, else its file name."
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^#\s+(.+)$", "".join(cell["source"]), re.M)
            if match:
                return match.group(1).strip()
    return notebook.stem


def write_for_readers(notebook: Path, target: Path) -> None:
    "Copy a library notebook without nbdev's scaffolding: `#| hide`/`#| default_exp` cells and `#| export` lines."
    content = json.loads(notebook.read_text())
    cells = []
    for cell in content["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.lstrip().startswith(("#| hide", "#| default_exp")):
            continue
        if cell["cell_type"] == "code":
            cell["source"] = re.sub(r"^#\| (export|exports|slow|gpu)\s*\n", "", source)
        cells.append(cell)
    content["cells"] = cells
    target.write_text(json.dumps(content, indent=1, ensure_ascii=False))


def study_page(study: str, source: Path, docs: Path) -> list:
    "Copy a study step's report (executed if available) and its figures; its nav entries."
    step = source.stem.split("_", 1)[1]
    executed = ROOT / "results" / study / source.name
    target_dir = docs / "studies" / study
    target_dir.mkdir(parents=True, exist_ok=True)
    notebook = target_dir / source.name
    shutil.copy(executed if executed.exists() else source, notebook)
    figures = sorted((ROOT / "results" / study / step / "figures").glob("*.png"))
    lines = [f"# {study} / {step}: figures", ""]
    if not executed.exists():
        lines += ["*The pipeline has not run here yet: the report page shows the unexecuted notebook. "
                  f"Run `dvc repro {study}_{step}` and rebuild the docs.*", ""]
    for fig in figures:
        shutil.copy(fig, target_dir / f"{step}_{fig.name}")
        lines += [f"## {fig.stem}", "", f"![{fig.stem}]({step}_{fig.name})", ""]
    if executed.exists() and not figures:
        lines += ["This step writes no figures.", ""]
    (target_dir / f"{source.stem}_figures.md").write_text("\n".join(lines))
    name = f"{source.stem} ({'executed' if executed.exists() else 'not run'})"
    return [{name: f"studies/{study}/{source.name}"}, {f"{source.stem} figures": f"studies/{study}/{source.stem}_figures.md"}]


def build_project() -> Path:
    "Write .docs_build/ (docs/ + mkdocs.yml) from the repository."
    shutil.rmtree(BUILD, ignore_errors=True)
    docs = BUILD / "docs"
    (docs / "library").mkdir(parents=True)
    shutil.copy(ROOT / "README.md", docs / "index.md")
    nav = [{"Home": "index.md"}]
    pages = sorted((ROOT / "docs").glob("*.md"))
    for page in pages:
        shutil.copy(page, docs / page.name)
    nav += [{page.stem.replace("_", " ").capitalize(): page.name} for page in pages]
    library = []
    for notebook in sorted((ROOT / "nbs").glob("[0-9]*.ipynb")):
        write_for_readers(notebook, docs / "library" / notebook.name)
        library.append({f"{notebook.stem.split('_', 1)[0]} {title_of(notebook)}": f"library/{notebook.name}"})
    nav.append({"Library": library})
    studies = []
    for study in STUDIES:
        entries = [e for nb in sorted((ROOT / "nbs" / "studies" / study).glob("[0-9]*.ipynb"))
                   for e in study_page(study, nb, docs)]
        studies.append({study: entries})
    nav.append({"Studies": studies})
    config = {
        "site_name": "pgnb", "site_description": "graph-based microstructure–property learning",
        "docs_dir": "docs", "site_dir": str(SITE), "use_directory_urls": False,   # works from file:// offline
        "theme": {"name": "material", "features": ["navigation.sections", "search.highlight"]},
        "plugins": ["search", {"mkdocs-jupyter": {"execute": False, "include_source": True,
                                                  "ignore_h1_titles": True, "include_requirejs": False}}],
        "markdown_extensions": ["tables", "admonition", {"toc": {"permalink": True}}],
        "validation": {"links": {"not_found": "warn", "absolute_links": "warn", "unrecognized_links": "warn"}},
        "nav": nav,
    }
    (BUILD / "mkdocs.yml").write_text(json.dumps(config, indent=1, ensure_ascii=False))  # JSON is YAML
    return BUILD / "mkdocs.yml"


def check_links() -> None:
    "Fail on a broken internal link or anchor-less missing page of the built site (linkchecker, offline)."
    result = subprocess.run([sys.executable, "-m", "linkcheck", "--no-status", "--no-warnings",  
                             "--ignore-url=^https?:", "--ignore-url=^mailto:", str(SITE / "index.html")],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:] + result.stderr[-2000:])
        raise SystemExit(f"docs: broken internal links in {SITE} (linkchecker rc {result.returncode})")
    print("docs: every internal link resolves")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help="serve the site on 127.0.0.1:8000 after building")
    args = parser.parse_args(argv)
    config = build_project()
    # --strict: a warning (a link to a page that is not in the site, a bad nav entry) fails the build
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(config)], check=True)
    check_links()
    print(f"docs: open {SITE / 'index.html'}")
    if args.serve:
        subprocess.run([sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", "127.0.0.1:8000"], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
