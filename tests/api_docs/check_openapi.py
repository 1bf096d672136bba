#!/usr/bin/env python3
"""Keeps docs/api/openapi.yaml true to the routes the server registers.

    check_openapi.py [OPENAPI_YAML [SRC_API_DIR]]

(defaults: docs/api/openapi.yaml and src/api of the checkout holding this
file). Python 3 stdlib only.

From the code: every `Route("METHOD", PATTERN, Role::kX, Access::kY, ...)`
call in SRC_API_DIR/*.cc. PATTERN is a C++ expression: a string literal
(also raw, R"(...)"), a named constant (`kName`, `one`: the nearest
definition above the call), `absl::StrCat(...)` of those, optionally
`.c_str()`. The pattern is a cpp-httplib regex; it becomes an OpenAPI path:
each capture group is a `{parameter}`, except a group of plain alternatives
such as `(pause|resume)`, which gives one path per alternative.

The role an operation needs: `public` for Access::kPublic; otherwise the
first `Role::kX` the handler itself checks (e.g. `permit(c, Role::kOperator,
...)` in routes_runs.cc), else the Route's role.

From the document: the `paths:` section, read line by line (no YAML
library): a path at two spaces of indent, its methods at four, and under
each method `x-retro-role:` and `summary:` at six.

Fails, listing them, when a route of the code is missing from the document,
the document lists a route the code does not have, an operation's
x-retro-role differs from the code's, or an operation lacks x-retro-role or
summary. Path parameters are compared by position, not by name.
"""

import os
import re
import sys

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ROLES = {"kViewer": "viewer", "kIngest": "ingest", "kOperator": "operator",
         "kAdmin": "admin"}


class ExtractError(Exception):
    pass


# --- C++ source -----------------------------------------------------------

def strip_comments(text):
    """Blanks // and /* */ comments (keeping offsets and newlines) but not
    comment-like text inside string or character literals."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c == "R" and text.startswith('R"', i) and (
                i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
                or text[i - 1] in "8uUL"):
            end = raw_string_end(text, i + 1)
            i = end
        elif c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):
            i = quoted_end(text, i)
        else:
            i += 1
    return "".join(out)


def raw_string_end(text, q):
    """`q` is the index of the opening quote of R"delim( ... )delim"."""
    paren = text.find("(", q)
    if paren < 0:
        raise ExtractError("unterminated raw string literal")
    delim = text[q + 1:paren]
    close = text.find(")" + delim + '"', paren + 1)
    if close < 0:
        raise ExtractError("unterminated raw string literal")
    return close + len(delim) + 2


def quoted_end(text, i):
    quote = text[i]
    j = i + 1
    while j < len(text) and text[j] != quote:
        if text[j] == "\\":
            j += 1
        elif text[j] == "\n":
            break
        j += 1
    return j + 1


TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<raw>(?:u8|u|U|L)?R"(?P<delim>[^(\s]*)\((?P<rawbody>.*?)\)(?P=delim)")
  | (?P<str>(?:u8|u|U|L)?"(?:[^"\\\n]|\\.)*")
  | (?P<chr>'(?:[^'\\\n]|\\.)*')
  | (?P<ident>(?:::)?[A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)
  | (?P<num>\d[\w.]*)
  | (?P<punct>->|::|[^\sA-Za-z_0-9])
""", re.VERBOSE | re.DOTALL)

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"',
           "'": "'", "?": "?", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def tokenize(text):
    toks = []
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ExtractError("cannot read C++ near %r" % text[pos:pos + 30])
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        if kind in ("raw", "delim", "rawbody"):
            toks.append(("str", m.group("rawbody")))
        elif kind == "str":
            body = m.group("str")
            body = body[body.index('"') + 1:-1]
            toks.append(("str", re.sub(r"\\(.)",
                                       lambda e: ESCAPES.get(e.group(1),
                                                             e.group(1)),
                                       body)))
        else:
            toks.append((kind, m.group(kind)))
    return toks


def split_call_args(text, open_paren, want):
    """The first `want` top-level arguments of the call whose '(' is at
    text[open_paren], as source text, and the offset after the last one."""
    args, depth, start, i = [], 0, open_paren + 1, open_paren + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "R" and text.startswith('R"', i) and not (
                text[i - 1].isalnum() or text[i - 1] == "_"):
            i = raw_string_end(text, i + 1)
            continue
        if c in "\"'":
            i = quoted_end(text, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append(text[start:i].strip())
                return args, i
            depth -= 1
        elif c == "," and depth == 0:
            args.append(text[start:i].strip())
            if len(args) == want:
                return args, i
            start = i + 1
        i += 1
    raise ExtractError("unterminated call")


DEFINITION = re.compile(
    r"(?:\b(?:static|constexpr|const|inline)\s+)*"
    r"(?:std::string_view|std::string|const\s+char\s*\*|char|auto)\s*"
    r"(?:const\s+)?\b(?P<name>[A-Za-z_]\w*)\s*(?:\[\s*\])?\s*=\s*(?P<expr>[^;]*);")


class Definitions:
    """String constants of one file with where each is defined; a lookup
    takes the nearest definition above the use (`one` is defined per
    function)."""

    def __init__(self, text):
        self.defs = {}
        for m in DEFINITION.finditer(text):
            self.defs.setdefault(m.group("name"), []).append(
                (m.start(), m.group("expr")))

    def lookup(self, name, offset):
        best = None
        for start, expr in self.defs.get(name, []):
            if start < offset:
                best = (start, expr)
        return best


def evaluate(expr, defs, offset, depth=0):
    """The string value of a C++ string expression."""
    if depth > 20:
        raise ExtractError("constants refer to each other too deeply")
    toks = tokenize(expr)
    value, rest = eval_sum(toks, defs, offset, depth)
    if rest:
        raise ExtractError("cannot evaluate %r (unexpected %r)" %
                           (expr, rest[0][1]))
    return value


def eval_sum(toks, defs, offset, depth):
    value, toks = eval_term(toks, defs, offset, depth)
    while toks and toks[0] == ("punct", "+"):
        more, toks = eval_term(toks[1:], defs, offset, depth)
        value += more
    return value, toks


def eval_term(toks, defs, offset, depth):
    if not toks:
        raise ExtractError("an expression ends too early")
    kind, text = toks[0]
    if kind == "str":
        value = ""
        while toks and toks[0][0] == "str":  # "a" "b" concatenates
            value += toks[0][1]
            toks = toks[1:]
    elif kind == "ident" and text in ("absl::StrCat", "std::string",
                                      "std::string_view") and \
            len(toks) > 1 and toks[1] == ("punct", "("):
        toks = toks[2:]
        value = ""
        while True:
            if toks and toks[0] == ("punct", ")"):
                toks = toks[1:]
                break
            part, toks = eval_sum(toks, defs, offset, depth)
            value += part
            if toks and toks[0] == ("punct", ","):
                toks = toks[1:]
    elif kind == "ident":
        found = defs.lookup(text, offset)
        if found is None:
            raise ExtractError("no string constant '%s' defined above its use"
                               % text)
        value = evaluate(found[1], defs, found[0], depth + 1)
        toks = toks[1:]
    elif kind == "punct" and text == "(":
        value, toks = eval_sum(toks[1:], defs, offset, depth)
        if not toks or toks[0] != ("punct", ")"):
            raise ExtractError("unbalanced parentheses")
        toks = toks[1:]
    else:
        raise ExtractError("cannot evaluate %r" % text)
    # .c_str() / .data() / .str()
    while (len(toks) >= 4 and toks[0] == ("punct", ".") and
           toks[1][1] in ("c_str", "data", "str") and
           toks[2] == ("punct", "(") and toks[3] == ("punct", ")")):
        toks = toks[4:]
    return value, toks


def match_group(pattern, i):
    """Index of the ')' closing the group opened at pattern[i]."""
    depth, j, in_class = 0, i, False
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    raise ExtractError("unbalanced group in pattern %r" % pattern)


LITERAL_ALTERNATIVES = re.compile(r"[\w.-]+(?:\|[\w.-]+)*")


def pattern_to_paths(pattern):
    """OpenAPI paths of a cpp-httplib route regex: capture groups become
    '{}', groups of plain alternatives expand."""
    if pattern.startswith("^"):
        pattern = pattern[1:]
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1]
    paths = [""]
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern) or pattern[i + 1].isalnum():
                raise ExtractError("pattern %r: escape %r is not a literal "
                                   "character" % (pattern,
                                                  pattern[i:i + 2]))
            paths = [p + pattern[i + 1] for p in paths]
            i += 2
        elif c == "(":
            close = match_group(pattern, i)
            body = pattern[i + 1:close]
            if body.startswith("?:"):
                body = body[2:]
            if LITERAL_ALTERNATIVES.fullmatch(body):
                paths = [p + alt for p in paths for alt in body.split("|")]
            else:
                paths = [p + "{}" for p in paths]
            i = close + 1
        elif c == "." and pattern[i + 1:i + 2] not in ("*", "+", "?", "{"):
            paths = [p + "." for p in paths]  # meant literally (e.g. ".yaml")
            i += 1
        elif c in ".*+?[]{}|^$)":
            raise ExtractError(
                "pattern %r: %r outside a group; a route's regex may hold "
                "only literal text and (groups)" % (pattern, c))
        else:
            paths = [p + c for p in paths]
            i += 1
    return paths


ROUTE_CALL = re.compile(r"(?<![\w:.>])Route\s*\(")
HANDLER_ROLE = re.compile(r"\bRole::(k\w+)")


def code_routes(src_dir):
    """{(METHOD, path): (role, where)} of every Route call."""
    routes = {}
    errors = []
    files = sorted(f for f in os.listdir(src_dir) if f.endswith(".cc"))
    for name in files:
        path = os.path.join(src_dir, name)
        with open(path, encoding="utf-8") as f:
            text = strip_comments(f.read())
        defs = Definitions(text)
        calls = [m for m in ROUTE_CALL.finditer(text)]
        for k, m in enumerate(calls):
            line = text.count("\n", 0, m.start()) + 1
            where = "%s:%d" % (os.path.join(os.path.basename(src_dir), name),
                               line)
            try:
                args, end = split_call_args(text, m.end() - 1, 4)
                if len(args) < 4:
                    raise ExtractError("Route() with fewer than 4 arguments")
                method_toks = tokenize(args[0])
                if len(method_toks) != 1 or method_toks[0][0] != "str":
                    raise ExtractError("the method %r is not a string literal"
                                       % args[0])
                method = method_toks[0][1].upper()
                pattern = evaluate(args[1], defs, m.start())
                role_m = re.fullmatch(r"Role::(k\w+)", args[2])
                if not role_m or role_m.group(1) not in ROLES:
                    raise ExtractError("the role %r is not Role::k..." %
                                       args[2])
                role = ROLES[role_m.group(1)]
                if re.fullmatch(r"Access::kPublic", args[3]):
                    role = "public"
                else:
                    # A role the handler checks itself (up to the next Route).
                    stop = calls[k + 1].start() if k + 1 < len(calls) \
                        else len(text)
                    checked = HANDLER_ROLE.search(text, end, stop)
                    if checked and checked.group(1) in ROLES:
                        role = ROLES[checked.group(1)]
                for p in pattern_to_paths(pattern):
                    routes[(method, p)] = (role, where)
            except ExtractError as e:
                errors.append("%s: cannot read this Route(...): %s" %
                              (where, e))
    return routes, errors


# --- the OpenAPI document ------------------------------------------------

def doc_routes(yaml_path):
    """{(METHOD, normalized path): info} from the `paths:` section."""
    with open(yaml_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    ops, errors = {}, []
    in_paths, path, op = False, None, None
    saw_paths = False
    for n, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = "%s:%d" % (os.path.basename(yaml_path), n)
        if not line.startswith(" "):
            in_paths = line.split("#")[0].strip() == "paths:"
            saw_paths = saw_paths or in_paths
            path = op = None
            continue
        if not in_paths:
            continue
        indent = len(line) - len(line.lstrip(" "))
        content = line.strip()
        if indent == 2:
            op = None
            m = re.fullmatch(r"""(['"]?)(/[^'"]*)\1:""", content)
            if not m:
                errors.append("%s: expected a path such as `  /v1/events:` "
                              "at two spaces of indent, got %r" %
                              (where, content))
                path = None
                continue
            path = m.group(2)
        elif indent == 4:
            op = None
            m = re.fullmatch(r"(\w+):.*", content)
            if path and m and m.group(1) in METHODS:
                key = (m.group(1).upper(), normalize(path))
                if key in ops:
                    errors.append("%s: %s %s is listed twice" %
                                  (where, key[0], path))
                op = {"path": path, "where": where, "role": None,
                      "summary": False}
                ops[key] = op
        elif indent == 6 and op is not None:
            m = re.fullmatch(r"x-retro-role:\s*(\S+)", content)
            if m:
                op["role"] = m.group(1).strip("'\"")
            elif re.match(r"summary:\s*\S", content):
                op["summary"] = True
    if not saw_paths:
        errors.append("%s: no top-level `paths:` section" % yaml_path)
    return ops, errors


def normalize(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    yaml_path = argv[1] if len(argv) > 1 else os.path.join(
        root, "docs", "api", "openapi.yaml")
    src_dir = argv[2] if len(argv) > 2 else os.path.join(root, "src", "api")

    code, problems = code_routes(src_dir)
    doc, doc_problems = doc_routes(yaml_path)
    problems += doc_problems
    if not code:
        problems.append("no Route(...) calls found in %s/*.cc" % src_dir)

    def show(key):
        return "%-6s %s" % (key[0], key[1].replace("{}", "{…}"))

    missing = sorted(set(code) - set(doc), key=lambda k: (k[1], k[0]))
    if missing:
        problems.append(
            "routes the code registers that %s does not document (add them "
            "under paths:):\n" % os.path.basename(yaml_path) +
            "\n".join("    %s   (%s)" % (show(k), code[k][1])
                      for k in missing))
    extra = sorted(set(doc) - set(code), key=lambda k: (k[1], k[0]))
    if extra:
        problems.append(
            "routes the document lists that the code does not register "
            "(remove them, or register them in src/api):\n" +
            "\n".join("    %-6s %s   (%s)" % (k[0], doc[k]["path"],
                                              doc[k]["where"])
                      for k in extra))
    for key in sorted(set(code) & set(doc), key=lambda k: (k[1], k[0])):
        role, where = code[key]
        op = doc[key]
        if op["role"] is None:
            problems.append("%s: %s %s has no `x-retro-role:` (the code "
                            "needs %s, %s)" % (op["where"], key[0],
                                               op["path"], role, where))
        elif op["role"] != role:
            problems.append("%s: %s %s says x-retro-role: %s; the code needs "
                            "%s (%s)" % (op["where"], key[0], op["path"],
                                         op["role"], role, where))
        if not op["summary"]:
            problems.append("%s: %s %s has no `summary:`" %
                            (op["where"], key[0], op["path"]))
    if problems:
        print("api_docs: %s is not true to %s:" % (yaml_path, src_dir))
        for p in problems:
            print("  - " + p)
        print("(path parameters are compared by position; '{…}' is one)")
        return 1
    print("api_docs: all %d routes of %s are documented in %s" %
          (len(code), src_dir, yaml_path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
