"""A real English corpus that every machine with Python has offline: the docstrings of the standard library
(see :func:`corpus`). Written by people for people: prose, with some code names mixed in. Deterministic on a given
Python version (docstrings change a little between versions)."""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import warnings

#: The modules whose docstrings make the corpus (sorted; only ones with no side effects on import). Modules
#: missing from a Python build (e.g. sqlite3) are skipped.
MODULES = tuple("""
    abc argparse ast asyncio base64 bisect calendar cmd codecs collections concurrent.futures configparser
    contextlib copy csv dataclasses datetime decimal difflib email email.message enum filecmp fnmatch fractions
    ftplib functools getopt gettext glob gzip hashlib heapq hmac html html.parser http.client http.cookies imaplib
    inspect io ipaddress itertools json logging lzma mailbox math mimetypes numbers operator optparse os pathlib
    pickle pkgutil platform poplib pprint queue random re sched secrets selectors shelve shlex shutil smtplib
    socket socketserver sqlite3 ssl statistics string struct subprocess tarfile tempfile textwrap threading timeit
    tokenize trace traceback typing unittest urllib.parse urllib.request uuid warnings wave weakref
    xml.dom.minidom zipfile
""".split())

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _docstrings(module_name: str):
    """Yield the docstrings of a module, of its public classes and functions defined in it (or in its C
    accelerator ``_name``, or its package), and of their public methods, in sorted name order."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = importlib.import_module(module_name)
    except ImportError:
        return
    if mod.__doc__:
        yield mod.__doc__
    homes = (module_name, "_" + module_name.split(".")[-1], module_name.split(".")[0])
    for name, obj in sorted(vars(mod).items()):
        public = not name.startswith("_") and (inspect.isclass(obj) or inspect.isroutine(obj))
        if not public or getattr(obj, "__module__", None) not in homes:
            continue
        if isinstance(obj.__doc__, str):
            yield obj.__doc__
        if inspect.isclass(obj):
            for mname, meth in sorted(vars(obj).items()):
                is_member = inspect.isroutine(meth) or isinstance(meth, (property, staticmethod, classmethod))
                if is_member and not mname.startswith("_") and isinstance(meth.__doc__, str):
                    yield meth.__doc__


@functools.lru_cache(maxsize=4)
def _all_docs(min_words: int) -> tuple[str, ...]:
    """Every docstring of :data:`MODULES`, whitespace collapsed, long enough, each once."""
    docs: dict[str, None] = {}  # an ordered set
    for module_name in MODULES:
        for doc in _docstrings(module_name):
            text = " ".join(doc.split())
            if len(text.split()) >= min_words:
                docs.setdefault(text)
    return tuple(docs)


def corpus(max_docs: int | None = None, min_words: int = 20) -> list[str]:
    """The standard library's docstrings as a list of documents (str), in a fixed order: modules in
    :data:`MODULES` order, then members by name. Whitespace is collapsed to single spaces, documents shorter than
    ``min_words`` words are dropped, and exact duplicates (inherited docstrings) are kept once. ``max_docs`` keeps
    the first ones. The first call takes about a second (it imports the modules). Taught in lesson 03."""
    if not isinstance(min_words, int) or min_words < 1:
        raise ValueError(f"min_words must be an int >= 1, got {min_words!r}")
    if max_docs is not None and (not isinstance(max_docs, int) or max_docs < 1):
        raise ValueError(f"max_docs must be None or an int >= 1, got {max_docs!r}")
    return list(_all_docs(min_words)[:max_docs])


def word_tokenize(text: str) -> list[str]:
    """Lower-cased words (letters, with an inner apostrophe kept: "don't") and numbers.
    ``"Return the 2 values, don't copy."`` -> ``['return', 'the', '2', 'values', "don't", 'copy']``.
    Taught in lesson 03."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _WORD.findall(text.lower())


def sentences(max_docs: int | None = None, min_words: int = 4) -> list[str]:
    """The corpus split into sentences (at '.', '!' or '?' followed by a capital letter), keeping those with at
    least ``min_words`` words."""
    return [s for doc in corpus(max_docs=max_docs, min_words=1) for s in _SENTENCE_END.split(doc)
            if len(s.split()) >= min_words]
