"""Turn a pytest-benchmark JSON into the README's speed table (ratios from one run).

    python bench/report.py bench/results.json
"""
import json
import sys


def main(path):
    data = json.load(open(path))
    rows, others = {}, []
    for b in data["benchmarks"]:
        info = b["extra_info"]
        if "impl" not in info:  # e.g. the good-neighbour group: listed after the table
            others.append((b["group"], b["name"], b["stats"]["min"]))
            continue
        key = (info["model"], info["shape"], tuple(info["dims"]), info["pass_"])
        rows.setdefault(key, {})[info["impl"]] = b["stats"]["min"]
    m = data["machine_info"]
    print(f"Machine: {m.get('cpu', {}).get('brand_raw', m.get('processor'))}, "
          f"{m.get('cpu', {}).get('count', '?')} cores, Python {m['python_version']}; "
          f"{data['datetime'][:10]}; min time of each benchmark")
    print()
    print("| model | shape (n_x, n_a, n_y, m, T) | pass | numpy | fastrnn | speedup |")
    print("|---|---|---|---:|---:|---:|")
    for (model, shape, dims, pass_), t in rows.items():
        print(f"| {model} | {shape} {dims} | {pass_} | {fmt(t['numpy'])} | {fmt(t['fastrnn'])} | "
              f"{t['numpy'] / t['fastrnn']:.1f}x |")
    if others:
        print()
        print("| group | benchmark | min time |")
        print("|---|---|---:|")
        for group, name, seconds in others:
            print(f"| {group} | {name} | {fmt(seconds)} |")


def fmt(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results.json")
