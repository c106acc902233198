"""The peer side of bench/render-autoinstall.ts: real Cheetah 3 renders the same kickstart for the same systems,
once compiling the template for every render (what Cobbler does per request) and once compiling it a single time.

Usage: /usr/bin/python3 cheetah-peer.py LIBRARY_DIR TEMPLATE VARIABLES_JSON SECONDS
Prints JSON: {"compile_each": renders per second, "compile_once": renders per second, "lines": lines of output}.
"""

import importlib.util
import json
import os
import sys
import time

library, template_name, variables_path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
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


def rate(render):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        render(systems[count % len(systems)])
        count += 1
    return count / (time.perf_counter() - start)


Klass = reference.CobblerLikeTemplate


def compile_each(variables):
    # Cheetah caches compiled classes by source unless told not to; Cobbler's per-request cost is the uncached one.
    klass = Klass.compile(source=source, baseclass=Klass, cacheCompilationResults=False)
    return str(klass(searchList=[variables]))


compiled = Klass.compile(source=source, baseclass=Klass)


def compile_once(variables):
    return str(compiled(searchList=[variables]))


lines = compile_once(systems[0]).count("\n")
print(json.dumps({"compile_each": rate(compile_each), "compile_once": rate(compile_once), "lines": lines}))
