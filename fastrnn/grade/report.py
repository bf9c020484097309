"""The grade report: one block per function, as text or JSON."""
import json


class Report:
    """What :func:`fastrnn.grade.check` and ``python -m fastrnn grade`` produce.

    ``results``: one dict per graded function (``name``, ``status`` "pass",
    "fail", "error" or "skipped", and for the others ``output``, ``case``,
    ``problem``, ``expected``, ``got``, ``max_relative_error``, ``diagnosis``,
    ``also_wrong``, ``notes``, ``speed``); ``source``: what was graded;
    ``notes``: about the source.  ``passed``: every graded function passed.
    Printing it gives the text report.
    """

    def __init__(self, results, source="", notes=()):
        self.results, self.source, self.notes = list(results), source, list(notes)

    @property
    def passed(self):
        graded = [r for r in self.results if r["status"] != "skipped"]
        return bool(graded) and all(r["status"] == "pass" for r in graded)

    def verdicts(self):
        """``{function name: status}``."""
        return {r["name"]: r["status"] for r in self.results}

    def to_json(self):
        return json.dumps({"source": self.source, "passed": self.passed, "notes": self.notes,
                           "functions": self.results}, indent=2, default=str)

    def __str__(self):
        lines = [f"fastrnn grade: {self.source} ({len(self.results)} course function(s) found)"]
        lines += [f"  note: {n}" for n in self.notes]
        for r in self.results:
            lines.append("")
            status = r["status"].upper()
            cases = f" ({r['cases']} cases)" if r.get("cases") and r["status"] == "pass" else ""
            lines.append(f"{r['name']:<20} {status}{cases}")
            if r["status"] != "pass":
                if r.get("output"):
                    lines.append(f"  wrong output:  {r['output']} of {r['name']}")
                if r.get("problem"):
                    lines.append(f"  problem:       {r['problem']}")
                if r.get("case"):
                    extra = f" ({r['failed_cases']} of {r['cases']} cases fail)" if r.get("failed_cases") else ""
                    lines.append(f"  case:          {r['case']}{extra}")
                if r.get("expected") is not None:
                    lines.append(f"  expected:      {r['expected']}")
                    lines.append(f"  got:           {r.get('got')}")
                if r.get("max_relative_error") is not None:
                    lines.append(f"  max relative error: {r['max_relative_error']:.3g}")
                for cause in r.get("diagnosis") or []:
                    lines.append(f"  likely cause:  {cause}")
                if r.get("also_wrong"):
                    lines.append(f"  also wrong:    {'; '.join(r['also_wrong'])}")
            for note in r.get("notes") or []:
                lines.append(f"  note:          {note}")
            if r.get("speed"):
                s = r["speed"]
                lines.append(f"  speed:         yours {_fmt(s['yours_best'])} (median {_fmt(s['yours_median'])}), "
                             f"fastrnn {_fmt(s['fastrnn_best'])} (median {_fmt(s['fastrnn_median'])}): "
                             f"fastrnn is {s['ratio']:.1f}x faster on {s['case']}")
        counts = {}
        for r in self.results:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        lines.append("")
        lines.append("Summary: " + ", ".join(f"{n} {word}" for word, n in
                                               (("passed", counts.get("pass", 0)), ("failed", counts.get("fail", 0)),
                                                ("errors", counts.get("error", 0)),
                                                ("not graded", counts.get("skipped", 0))) if n))
        return "\n".join(lines)

    __repr__ = __str__


def _fmt(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"
