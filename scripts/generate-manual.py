#!/usr/bin/env python3
"""Man pages for iocd and ioc, generated from their argument parsers.

    scripts/generate-manual.py BIN_DIR OUT_DIR

Runs `BIN_DIR/iocd --experimental-dump-help` and `BIN_DIR/ioc --experimental-dump-help` (the
description swift-argument-parser gives of every command, option and default) and writes man(7)
pages: iocd.8, ioc.1, and one page per subcommand (ioc-query.1, ioc-silence-add.1, ...), each with
the exit statuses, files and environment an administrator looks for. What the parser knows is
the parser's: nothing here repeats an option or its help.
"""

import datetime
import json
import os
import subprocess
import sys
import unicodedata

VERSION_FILE = os.path.join(os.path.dirname(__file__), "..", "Sources", "IOCCore", "Version.swift")

# The exit statuses, the same for every command (sysexits.h where one fits).
EXIT_STATUS = {
    "iocd": [
        ("0", "Stopped cleanly on SIGTERM or SIGINT, everything written."),
        ("1", "A failure at run time: the store could not be opened or read."),
        ("64", "A usage error: an unknown option or a bad value (EX_USAGE)."),
        ("78", "The configuration has an error, reported as file:line:column; "
               "nothing was touched (EX_CONFIG). systemd does not restart iocd for it."),
    ],
    "ioc": [
        ("0", "Success."),
        ("1", "The command failed: a check or a rule test failed, a probe failed, the store or "
              "the daemon's API could not be read."),
        ("64", "A usage error: an unknown option, a bad value or a missing argument (EX_USAGE)."),
        ("78", "A configuration file named with --config has an error (EX_CONFIG)."),
    ],
}

FILES = [
    ("/etc/iocd/iocd.yaml", "The daemon's configuration: the store, probe, rule and dashboard files, "
                            "the listener, notifications, remote write."),
    ("/etc/iocd/probes/", "Probe files: the targets and how to check them."),
    ("/etc/iocd/rules/", "Alerting and recording rules, in Prometheus' format."),
    ("/etc/iocd/dashboards/", "The terminal dashboards."),
    ("/var/lib/iocd/ioc.db", "The store: an SQLite file, readable by the group iocd."),
]

ENVIRONMENT = {
    "iocd": [
        ("IOC_CONFIG", "The configuration file when --config is not given."),
        ("IOC_DB", "The store file, over the configuration's storage.path."),
        ("NO_COLOR", "When set, log lines on a terminal are not coloured."),
        ("MALLOC_ARENA_MAX", "When set, iocd keeps it; otherwise it uses as many allocator arenas as cores."),
    ],
    "ioc": [
        ("IOC_DB", "The store file when --db is not given."),
        ("IOC_CONFIG", "The daemon's configuration, to find the store and the time zone."),
        ("NO_COLOR", "When set, the dashboard and tables use no colour."),
    ],
}


def escape(text):
    """Text for a man(7) line: backslashes and hyphens escaped, no line starting as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def option_names(argument):
    names = []
    for name in argument.get("names", []):
        prefix = "-" if name["kind"] in ("short", "longWithSingleDash") else "--"
        names.append("\\fB" + escape(prefix + name["name"]) + "\\fR")
    return names


def synopsis_item(argument):
    value = "\\fI" + escape(argument.get("valueName", "value")) + "\\fR"
    kind = argument["kind"]
    if kind == "positional":
        text = value + (" ..." if argument.get("isRepeating") else "")
    else:
        names = option_names(argument)
        preferred = names[0] if names else ""
        text = preferred if kind == "flag" else preferred + " " + value
        if argument.get("isRepeating") and kind != "flag":
            text += " ..."
    return "[" + text + "]" if argument.get("isOptional") else text


def visible(items):
    return [item for item in items or [] if item.get("shouldDisplay", True)]


def page(program, path, command, section, date, version, parents):
    name = "-".join(path)
    lines = [
        '.TH "%s" "%s" "%s" "IOC %s" "IOC Manual"' % (name.upper(), section, date, version),
        ".SH NAME",
        "%s \\- %s" % (escape(name), escape(command.get("abstract", ""))),
        ".SH SYNOPSIS",
    ]
    arguments = visible(command.get("arguments"))
    subcommands = [c for c in visible(command.get("subcommands")) if c["commandName"] != "help"]
    usage = "\\fB" + escape(" ".join(path)) + "\\fR"
    if subcommands:
        usage += " \\fIsubcommand\\fR"
    items = [synopsis_item(a) for a in arguments if a["kind"] != "flag" or a.get("names")]
    lines.append(".PP")
    lines.append(" ".join([usage] + items))
    lines.append(".SH DESCRIPTION")
    lines.append(escape(command.get("abstract", "")))
    if command.get("discussion"):
        for paragraph in command["discussion"].split("\n"):
            if paragraph.strip():
                lines += [".PP", escape(paragraph.strip())]
    if arguments:
        lines.append(".SH OPTIONS")
        for argument in arguments:
            lines.append(".TP")
            if argument["kind"] == "positional":
                lines.append("\\fI" + escape(argument.get("valueName", "value")) + "\\fR")
            else:
                names = ", ".join(option_names(argument))
                if argument["kind"] != "flag":
                    names += " \\fI" + escape(argument.get("valueName", "value")) + "\\fR"
                lines.append(names)
            text = escape(argument.get("abstract", ""))
            if isinstance(argument.get("discussion"), str):
                text += " " + escape(argument["discussion"])
            if argument.get("allValues"):
                text += " One of: " + escape(", ".join(argument["allValues"])) + "."
            if argument.get("defaultValue") not in (None, "") and "Default:" not in text:
                text += " Default: " + escape(str(argument["defaultValue"])) + "."
            lines.append(text)
    if subcommands:
        lines.append(".SH SUBCOMMANDS")
        for subcommand in subcommands:
            lines += [".TP", "\\fB" + escape(subcommand["commandName"]) + "\\fR",
                      escape(subcommand.get("abstract", "")) + " See \\fB" + escape(name + "-" + subcommand["commandName"])
                      + "\\fR(1)."]
    lines.append(".SH EXIT STATUS")
    for status, meaning in EXIT_STATUS[program]:
        lines += [".TP", status, escape(meaning)]
    if len(path) == 1:
        lines.append(".SH ENVIRONMENT")
        for variable, meaning in ENVIRONMENT[program]:
            lines += [".TP", "\\fB" + variable + "\\fR", escape(meaning)]
        lines.append(".SH FILES")
        for file, meaning in FILES:
            lines += [".TP", "\\fI" + escape(file) + "\\fR", escape(meaning)]
    related = ["iocd(8)" if program == "ioc" else "ioc(1)"] + ["%s(%s)" % (p, "8" if p == "iocd" else "1") for p in parents]
    related += ["prometheus(1)", "amtool(1)"]
    lines.append(".SH SEE ALSO")
    lines.append(", ".join("\\fB%s\\fR(%s)" % (escape(r.split("(")[0]), r.split("(")[1].rstrip(")")) for r in related))
    lines.append(".PP")
    lines.append("/usr/share/doc/ioc/README.md")
    text = "\n".join(lines) + "\n"
    return name, composites(text) + text, subcommands


def composites(text):
    """groff reads "Huế" as e with two combining marks, a glyph its terminal device lacks: each
    letter the page uses is defined as its precomposed code point, so that it prints whole."""
    definitions = []
    for character in sorted(set(c for c in text if ord(c) > 127)):
        parts = unicodedata.normalize("NFD", character)
        if len(parts) > 1:
            name = "_".join("%04X" % ord(p) for p in parts)
            definitions.append(".char \\[u%s] \\[u%04X]" % (name, ord(character)))
    return "\n".join(definitions) + ("\n" if definitions else "")


def write_pages(program, executable, output, date, version):
    # The pages are English (man/man1); the commands' help follows IOC_LANG and the locale.
    environment = dict(os.environ, IOC_LANG="en")
    info = json.loads(subprocess.run([executable, "--experimental-dump-help"], check=True,
                                     capture_output=True, text=True, env=environment).stdout)
    section = "8" if program == "iocd" else "1"
    written = []
    pending = [([program], info["command"], [])]
    while pending:
        path, command, parents = pending.pop(0)
        name, text, subcommands = page(program, path, command, section, date, version, parents)
        file = os.path.join(output, "%s.%s" % (name, section))
        with open(file, "w", encoding="utf-8") as handle:
            handle.write(text)
        written.append(file)
        for subcommand in subcommands:
            pending.append((path + [subcommand["commandName"]], subcommand, [name]))
    return written


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: generate-manual.py BIN_DIR OUT_DIR")
    binaries, output = sys.argv[1], sys.argv[2]
    os.makedirs(output, exist_ok=True)
    with open(VERSION_FILE, encoding="utf-8") as handle:
        version = next(line.split('"')[1] for line in handle if "static let current" in line)
    # The date of the revision (or SOURCE_DATE_EPOCH): the same pages from the same sources.
    epoch = os.environ.get("SOURCE_DATE_EPOCH") or subprocess.run(
        ["git", "log", "-1", "--format=%ct"], capture_output=True, text=True).stdout.strip() or "0"
    date = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%d")
    for program in ("iocd", "ioc"):
        for file in write_pages(program, os.path.join(binaries, program), output, date, version):
            print(file)


if __name__ == "__main__":
    main()
