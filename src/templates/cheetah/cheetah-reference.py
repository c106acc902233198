"""Renders every golden case with the real Cheetah 3, the way Cobbler does, for golden.test.ts to compare against.

Usage: /usr/bin/python3 cheetah-reference.py GOLDEN_DIR
Prints one JSON object: {case name: {"output": str, "leftAsWritten": [str] or null} or {"error": str}}.

This mirrors cobbler/templates/cheetah.py (CobblerCheetahTemplate, Cobbler 3.3+): SNIPPET::name is rewritten to
$SNIPPET('name') when a template is compiled, "#errorCatcher ListErrors" is put in front of the main template and
of every snippet, and $SNIPPET includes the snippet with "#include source=" and then appends the snippet's search
list to the caller's, which is how a snippet's #defs reach the template that called it. Includes resolve against
the golden directory (the process runs there).
"""

import json
import os
import re
import sys

from Cheetah.Template import Template

SNIPPET_SHORTHAND = re.compile(r"SNIPPET::([A-Za-z0-9_\-/.]+)")


class CobblerLikeTemplate(Template):
    def __init__(self, **kwargs):
        self.BuiltinTemplate = Template.compile(
            source="\n".join(
                [
                    "#def SNIPPET($file)",
                    "#set $snippet = $read_snippet($file)",
                    "#if $snippet",
                    "#include source=$snippet",
                    "#else",
                    "# Error: no snippet data for $file",
                    "#end if",
                    "#end def",
                ]
            )
            + "\n"
        )
        super().__init__(**kwargs)

    @classmethod
    def compile(cls, *args, **kwargs):
        def preprocess(source, file):
            if source is None:
                with open(file, "r", encoding="UTF-8") as handle:
                    source = "#errorCatcher Echo\n" + handle.read()
                file = None
            return SNIPPET_SHORTHAND.sub(lambda m: "$SNIPPET('%s')" % m.group(1), source or ""), file

        kwargs["preprocessors"] = [preprocess] + kwargs.get("preprocessors", [])
        return super().compile(*args, **kwargs)

    def read_snippet(self, name):
        path = os.path.join("snippets", name)
        if not os.path.exists(path):
            return None
        with open(path, "r", encoding="UTF-8") as handle:
            return "#errorCatcher ListErrors\n" + handle.read()

    def SNIPPET(self, file):
        result = self.BuiltinTemplate.SNIPPET(self, file)
        contents = self.read_snippet(file)
        if contents:
            child_list = self._CHEETAH__cheetahIncludes[contents].searchList()
            my_list = self.searchList()
            for child in child_list:
                if child not in my_list:
                    my_list.append(child)
        return result


def render(name):
    with open(name + ".tmpl", "r", encoding="UTF-8") as handle:
        source = "#errorCatcher ListErrors\n" + handle.read()
    variables = {}
    if os.path.exists(name + ".json"):
        with open(name + ".json", "r", encoding="UTF-8") as handle:
            variables = json.load(handle)
    klass = CobblerLikeTemplate.compile(source=source, baseclass=CobblerLikeTemplate)
    template = klass(searchList=[variables])
    output = str(template)
    # The placeholders the main template left as written, in order (unless the template chose another catcher).
    catcher = template.errorCatcher()
    left_as_written = [entry["rawCode"] for entry in catcher.listErrors()] if hasattr(catcher, "listErrors") else None
    return {"output": output, "leftAsWritten": left_as_written}


def main():
    os.chdir(sys.argv[1])
    results = {}
    for entry in sorted(os.listdir(".")):
        if not entry.endswith(".tmpl"):
            continue
        name = entry[: -len(".tmpl")]
        try:
            results[name] = render(name)
        except Exception as error:  # reported per case, so that one broken case does not hide the others
            results[name] = {"error": "%s: %s" % (type(error).__name__, error)}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
