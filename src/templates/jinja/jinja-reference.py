"""Renders each case of the Jinja corpus with Debian's python3-jinja2, configured the way Cobbler 3.3 configures it,
for corpus.test.ts to compare bootwright's output with.

Usage: /usr/bin/python3 jinja-reference.py < request.json
The request is {"includeDir": str, "cases": [{"name": str, "text": str, "variables": dict}]}; the answer, on
stdout, is one JSON object {case name: {"output": str} or {"error": str}}.

What is mirrored from Cobbler 3.3's Templar (cobbler/templar.py, v3.3.7), written afresh here:
- a first line starting with "#template=" names the language and is dropped (the rest rejoined with "\n");
- the environment is jinja2's default one (no trim_blocks, no lstrip_blocks, keep_trailing_newline off, the
  lenient Undefined, no autoescape) with a FileSystemLoader over jinja2_includedir, here the corpus's snippets;
- after rendering, every @@name@@ is replaced by the variable of that name, with http_server set to the server
  (and :port when not 80) first, and output that begins with a newline loses all its leading whitespace.
Cobbler turns a rendering exception into a comment line in the output; here it is reported as an error instead,
so that a case failing in Jinja is seen as such.
"""

import json
import re
import sys

import jinja2

AT_AT = re.compile(r"@@\S*?@@")


def render_like_cobbler(environment, text, variables):
    lines = text.split("\n")
    if lines and lines[0].startswith("#template="):
        text = "\n".join(lines[1:])
    output = environment.from_string(text).render(variables)
    port = variables.get("http_port", "80")
    server = variables.get("server")
    variables["http_server"] = server if port in (80, "80") else "%s:%s" % (server, port)
    for match in set(AT_AT.findall(output)):
        output = output.replace(match, variables[match.strip("@")])
    if output.startswith("\n"):
        output = output.lstrip()
    return output


def main():
    request = json.load(sys.stdin)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(request["includeDir"]))
    answers = {}
    for case in request["cases"]:
        try:
            answers[case["name"]] = {"output": render_like_cobbler(environment, case["text"], case["variables"])}
        except Exception as error:  # every failure is an answer for that case, never the end of the run
            answers[case["name"]] = {"error": "%s: %s" % (type(error).__name__, error)}
    json.dump(answers, sys.stdout)


main()
