#!/usr/bin/env python3
"""Checks that the @defgroup tree of the API reference is complete.

Reads the XML that doxygen writes (GENERATE_XML) and fails when a public class, struct, function,
enum, enum value, variable or typedef of cv::escrf is in no group, or when a group other than
the root `escrf` is not a subgroup of it. Usage: check_doc_groups.py <doxygen xml folder>
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(xml_dir):
    xml_dir = Path(xml_dir)
    index = ET.parse(xml_dir / "index.xml").getroot()
    grouped, subgroups, groups = set(), set(), []
    for compound in index.findall("compound"):
        if compound.get("kind") != "group":
            continue
        group = ET.parse(xml_dir / (compound.get("refid") + ".xml")).getroot().find("compounddef")
        groups.append((compound.get("refid"), group.findtext("compoundname")))
        subgroups.update(g.get("refid") for g in group.findall("innergroup"))
        grouped.update(m.get("id") for m in group.iter("memberdef"))
        grouped.update(v.get("id") for v in group.iter("enumvalue"))
        grouped.update(c.get("refid") for c in group.findall("innerclass"))
    problems = []
    for refid, name in groups:
        if name != "escrf" and refid not in subgroups:
            problems.append("group %s is not a subgroup of escrf" % name)
    for compound in index.findall("compound"):
        kind, name = compound.get("kind"), compound.findtext("name")
        if not name.startswith("cv::escrf"):
            continue
        if kind in ("class", "struct") and compound.get("refid") not in grouped:
            problems.append("%s %s is in no @defgroup" % (kind, name))
        if kind == "namespace":
            for member in compound.findall("member"):
                if member.get("refid") not in grouped:
                    problems.append("%s::%s is in no @defgroup" % (name, member.findtext("name")))
    for p in problems:
        print("doc groups: " + p)
    print("doc groups: %d groups, %d grouped entities, %d problems"
          % (len(groups), len(grouped), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/doc/xml"))
