"""README.zh-CN.md stays in step with README.md and docs/ (issue 17, Chinese users).

The Chinese README is a translation, so it must never teach a command, a link, a params key or a
`jianfu` sub-command that the English documentation does not have: every shell command in its
code blocks is looked up, word for word, in README.md and docs/*.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from conftest import ROOT

ZH = ROOT / "README.zh-CN.md"
#: Code-block languages whose lines are shell commands (``console``: only the ``$ `` lines).
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
#: A fenced code block, also inside a list item (indented fences close at the same indent).
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
FILE_SUFFIXES = {"json", "yaml", "csv", "md", "txt", "parquet", "sav", "dta", "docx", "html"}


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_blocks(markdown: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced code block, the body dedented to its fence."""
    blocks = []
    for m in FENCE.finditer(markdown):
        indent = len(m["indent"])
        body = "\n".join(line[indent:] for line in m["body"].splitlines())
        blocks.append((m["lang"].strip(), body))
    return blocks


def prose(markdown: str) -> str:
    """The text outside fenced code blocks."""
    return FENCE.sub("", markdown)


def _strip_comment(line: str) -> str:
    """`line` without a trailing shell comment (a `#` after whitespace, outside quotes).

    Comments are translated, so only the command itself has to match the English documentation.
    """
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
    return line


def _normalise(line: str) -> str:
    return " ".join(line.split())


def _logical_lines(body: str) -> list[str]:
    """Lines with backslash continuations joined."""
    return re.sub(r"\\\n\s*", " ", body).splitlines()


def shell_commands(lang: str, body: str) -> list[str]:
    """The commands of one shell code block, comments and prompts removed, spaces normalised."""
    commands = []
    for line in _logical_lines(body):
        if lang == "console":
            if not line.startswith("$ "):
                continue  # program output
            line = line[2:]
        command = _normalise(_strip_comment(line))
        if command:
            commands.append(command)
    return commands


def documented_lines(texts: list[str]) -> list[str]:
    """Every line of the English documentation, continuations joined, spaces normalised."""
    return [_normalise(line) for text in texts for line in _logical_lines(text)]


def undocumented(markdown: str, documentation: list[str]) -> list[str]:
    """Shell commands of `markdown`'s code blocks that no line of `documentation` contains."""
    lines = documented_lines(documentation)
    return [
        command
        for lang, body in code_blocks(markdown)
        if lang in SHELL_LANGUAGES
        for command in shell_commands(lang, body)
        if not any(command in line for line in lines)
    ]


def broken_links(markdown: str, base: Path) -> list[str]:
    """Relative link targets in `markdown` (outside code blocks) that are not files under base."""
    broken = []
    for target in LINK.findall(prose(markdown)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        if not (base / target.split("#", 1)[0]).exists():
            broken.append(target)
    return broken


def _english_docs() -> list[str]:
    return [_read(ROOT / "README.md"), *(_read(p) for p in sorted((ROOT / "docs").glob("*.md")))]


def _section(markdown: str, heading: str) -> str:
    return markdown.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


# ---- the helpers catch what they are meant to catch ----------------------------------------------


def test_an_invented_command_and_a_broken_link_are_caught(tmp_path):
    markdown = (
        "```bash\n"
        "python3 bootstrap.py pipeline   # 注释不参与比较\n"
        "jianfu frobnicate --all\n"
        "```\n\n"
        "- 列表中的代码块：\n\n"
        "  ```console\n"
        "  $ .venv/bin/jianfu draft-codebook a.xlsx \\\n"
        "        --out codebook/x.yaml\n"
        "  codebook/x.yaml: draft codebook …\n"
        "  ```\n\n"
        "见 [现有文件](docs/a.md#anchor)、[缺失文件](docs/b.md) 和 [网页](https://example.org)。\n"
    )
    docs = ["Run `python3 bootstrap.py pipeline`.", ".venv/bin/jianfu draft-codebook a.xlsx"]
    assert undocumented(markdown, docs) == [
        "jianfu frobnicate --all",
        ".venv/bin/jianfu draft-codebook a.xlsx --out codebook/x.yaml",
    ]
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("x", encoding="utf-8")
    assert broken_links(markdown, tmp_path) == ["docs/b.md"]


# ---- README.zh-CN.md -----------------------------------------------------------------------


def test_every_code_block_names_its_language():
    """An unlabelled block would escape the command check below."""
    blocks = code_blocks(_read(ZH))
    assert len(blocks) >= 6
    assert all(lang for lang, _ in blocks), [body[:40] for lang, body in blocks if not lang]


def test_every_shell_command_is_in_readme_or_docs():
    text = _read(ZH)
    commands = [
        c
        for lang, b in code_blocks(text)
        if lang in SHELL_LANGUAGES
        for c in shell_commands(lang, b)
    ]
    assert len(commands) >= 8  # quick start, own data, draft codebook, mirror, …
    missing = undocumented(text, _english_docs())
    assert not missing, f"README.zh-CN.md has commands that README.md / docs/*.md lack: {missing}"


def test_quick_start_is_the_readme_quick_start_word_for_word():
    def first_block(section: str) -> list[str]:
        lang, body = code_blocks(section)[0]
        return shell_commands(lang, body)

    english = first_block(_section(_read(ROOT / "README.md"), "## Quick start"))
    chinese = first_block(_section(_read(ZH), "## 快速开始"))
    assert chinese == english == ["python3 bootstrap.py pipeline", "python3 bootstrap.py test"]


def test_own_data_commands_are_the_readme_block_word_for_word():
    """tests/test_own_data.py runs README's block; the translation must teach the same lines."""
    english = _section(_read(ROOT / "README.md"), "### Run the pipeline on your own survey")
    chinese = _section(_read(ZH), "## 使用自己的问卷数据")
    english_block = shell_commands(*code_blocks(english)[0])
    assert len(english_block) == 4
    assert any(shell_commands(*block) == english_block for block in code_blocks(chinese))


def test_every_relative_link_points_to_a_file():
    text = _read(ZH)
    targets = LINK.findall(prose(text))
    assert "docs/own_data.md" in targets and "README.md" in targets
    assert not broken_links(text, ROOT)


def test_readme_links_to_the_chinese_readme_at_the_top():
    readme = _read(ROOT / "README.md")
    top = readme.split("\n## ", 1)[0]
    assert "中文说明：[README.zh-CN.md](README.zh-CN.md)" in top
    assert not broken_links(top, ROOT)


def test_named_jianfu_commands_and_params_keys_exist():
    """Inline `jianfu <command>` and `section.key` mentions name real commands and params."""
    from jianfu.cli import STAGES, TOOLS

    text = _read(ZH)
    named = set(re.findall(r"jianfu ([a-z][a-z_-]+)", text))
    assert {"use-data", "draft-codebook", "check-codebook", "where"} <= named
    assert named <= set(STAGES) | set(TOOLS), named - set(STAGES) - set(TOOLS)

    params = yaml.safe_load(_read(ROOT / "params.yaml"))
    keys = {
        token
        for token in re.findall(r"`([a-z_]+(?:\.[a-z_]+)+)`", prose(text))
        if token.split(".")[0] in params and token.rsplit(".", 1)[1] not in FILE_SUFFIXES
    }
    assert {"data.source", "models.specs", "report.language", "ingest.clean"} <= keys
    for key in sorted(keys):
        node = params
        for part in key.split("."):
            assert isinstance(node, dict) and part in node, f"params.yaml has no {key}"
            node = node[part]
