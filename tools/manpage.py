#!/usr/bin/env python3
"""Writes the mdmbatch(1) man page (roff) from `mdmbatch --experimental-dump-help`, so that
it says exactly what `--help` says.

    mdmbatch --experimental-dump-help | python3 tools/manpage.py VERSION > mdmbatch.1
"""
import json, sys


def roff(text):
    """Text safe for roff: backslashes doubled, a leading dot or quote escaped."""
    lines = []
    for line in (text or "").replace("\\", "\\e").split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def shown(argument):
    """Every argument but the --help and --version each command has."""
    names = {n["name"] for n in argument.get("names", [])}
    return argument.get("shouldDisplay", True) and not names & {"help", "version"}


def synopsis(name, command):
    parts = [f"\\fB{name}\\fR"]
    for argument in command.get("arguments", []):
        if not shown(argument):
            continue
        names = argument.get("names", [])
        flag = next((n["name"] for n in names if n["kind"] == "long"), None)
        value = argument.get("valueName", "value")
        if argument["kind"] == "positional":
            item = f"\\fI{value}\\fR"
        elif argument["kind"] == "flag":
            item = f"\\fB--{flag}\\fR"
        else:
            item = f"\\fB--{flag}\\fR \\fI{value}\\fR"
        parts.append(f"[{item}]" if argument.get("isOptional") else item)
    return " ".join(parts)


def options(command):
    out = []
    for argument in command.get("arguments", []):
        if not shown(argument):
            continue
        names = argument.get("names", [])
        flags = ", ".join(("-" if n["kind"] == "short" else "--") + n["name"] for n in names)
        label = flags or argument.get("valueName", "")
        if argument["kind"] == "option":
            label += " " + argument.get("valueName", "value")
        out.append(".TP\n\\fB" + roff(label) + "\\fR\n" + roff(argument.get("abstract", "")))
        if argument.get("defaultValue"):
            out.append("(default: " + roff(argument["defaultValue"]) + ")")
    return "\n".join(out)


def section(path, command, out):
    name = " ".join(path)
    out.append(f".SS {name}" if len(path) > 1 else "")
    if len(path) > 1:
        out.append(roff(command.get("abstract", "")))
        out.append(".PP\n" + synopsis(name, command))
        if command.get("discussion"):
            out.append(".PP\n.nf\n" + roff(command["discussion"]) + "\n.fi")
        opts = options(command)
        if opts:
            out.append(opts)
    for sub in command.get("subcommands", []):
        if sub["commandName"] != "help" and sub.get("shouldDisplay", True):
            section(path + [sub["commandName"]], sub, out)


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else ""
    root = json.load(sys.stdin)["command"]
    out = [f'.TH MDMBATCH 1 "" "mdmbatch {version}" "User Commands"',
           ".SH NAME", "mdmbatch \\- " + roff(root.get("abstract", "")),
           ".SH SYNOPSIS", "\\fBmdmbatch\\fR \\fIcommand\\fR [\\fIoptions\\fR]",
           ".SH DESCRIPTION", ".nf", roff(root.get("discussion", "")), ".fi",
           ".SH COMMANDS"]
    section(["mdmbatch"], root, out)
    out += [".SH SEE ALSO", "The README of the mdmbatch repository; \\fBmdmbatch help\\fR \\fIcommand\\fR."]
    print("\n".join(line for line in out if line is not None))


if __name__ == "__main__":
    main()
