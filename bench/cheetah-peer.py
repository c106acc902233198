"""The peer side of bench/render-autoinstall.ts: real Cheetah 3 renders the same kickstart for the same systems, the
way Cobbler drives it (cheetah-reference.py: SNIPPET::, $SNIPPET, "#errorCatcher ListErrors").

Usage: /usr/bin/python3 cheetah-peer.py LIBRARY_DIR TEMPLATE VARIABLES_JSON
Then one command a line on stdin, "compile_each SECONDS" or "compile_once SECONDS", each answered with one JSON
line on stdout: {"rate": renders per second, "renders": N, "lines": lines of the first output}. The process stays up
between commands, so that the caller can interleave these runs with its own.

Everything that is not rendering happens before the clock starts: the variables are parsed from JSON once, and the
snippets' text is read once. "compile_once" is Cheetah at its fastest: the main template's class is compiled once,
and Cheetah's own compile cache (keyed by source text) serves the snippets' classes after the first render.
"compile_each" compiles the main template for every render, as Cobbler does for every request.
"""

import importlib.util
import json
import os
import sys
import time

library, template_name, variables_path = sys.argv[1], sys.argv[2], sys.argv[3]
here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "reference", os.path.join(here, "..", "src", "templates", "cheetah", "cheetah-reference.py")
)
reference = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reference)
os.chdir(library)  # snippets/NAME resolves here, as in the reference renderer

with open(os.path.join("templates", template_name), encoding="UTF-8") as handle:
    source = "#errorCatcher ListErrors\n" + handle.read()
with open(variables_path, encoding="UTF-8") as handle:
    systems = json.load(handle)

snippet_texts = {}
for name in os.listdir("snippets"):
    path = os.path.join("snippets", name)
    if os.path.isfile(path):
        with open(path, encoding="UTF-8") as handle:
            snippet_texts[name] = "#errorCatcher ListErrors\n" + handle.read()


class PreparedTemplate(reference.CobblerLikeTemplate):
    """Cobbler's template, with the snippets' text read before the clock starts instead of from disk per include."""

    def read_snippet(self, name):
        return snippet_texts.get(name)


def compile_each(variables):
    # Cheetah looks compiled classes up by source text (useCache) and stores them (cacheCompilationResults); with
    # either left on, this would find the class compiled for compile_once and measure that instead.
    klass = PreparedTemplate.compile(
        source=source, baseclass=PreparedTemplate, useCache=False, cacheCompilationResults=False
    )
    return str(klass(searchList=[variables]))


compiled = PreparedTemplate.compile(source=source, baseclass=PreparedTemplate)


def compile_once(variables):
    return str(compiled(searchList=[variables]))


modes = {"compile_each": compile_each, "compile_once": compile_once}
lines = compile_once(systems[0]).count("\n")

for command in sys.stdin:
    mode, seconds = command.split()
    render = modes[mode]
    render(systems[0])  # warm: Cheetah's compile cache holds the snippets' classes from here on
    count, start = 0, time.perf_counter()
    deadline = start + float(seconds)
    while time.perf_counter() < deadline:
        render(systems[count % len(systems)])
        count += 1
    elapsed = time.perf_counter() - start
    print(json.dumps({"rate": count / elapsed, "renders": count, "lines": lines}), flush=True)
