"""Turn a pytest-benchmark JSON into the speed tables of docs/performance.md (ratios from one run).

    python bench/report.py bench/results.json

Tables: fastrnn against the course's numpy code and PyTorch (where the run had
them), with fastrnn's rate as a share of the machine's dgemm rate measured in
the same run; fastrnn's float32 speedup over its float64; and the other groups
(char model, good neighbour).
"""
import json
import sys


def main(path):
    data = json.load(open(path))
    rows, others, dgemm = {}, [], None
    for b in data["benchmarks"]:
        info = b["extra_info"]
        if info.get("reference") == "dgemm":
            dgemm = info["flops"] / b["stats"]["min"]
            continue
        if "impl" not in info:  # e.g. the good-neighbour group: listed after the tables
            others.append((b["group"], b["name"], b["stats"]["min"]))
            continue
        key = (info["model"], info["shape"], tuple(info["dims"]), info.get("dtype", "float64"), info["pass_"])
        rows.setdefault(key, {})[info["impl"]] = (b["stats"]["min"], info.get("flops"))
    m = data["machine_info"]
    print(f"Machine: {m.get('cpu', {}).get('brand_raw', m.get('processor'))}, "
          f"{m.get('cpu', {}).get('count', '?')} cores, Python {m['python_version']}; "
          f"{data['datetime'][:10]}; min time of each benchmark; {versions(data)}")
    if dgemm:
        print(f"dgemm rate in this run (numpy, 2048 x 2048, float64): {dgemm / 1e9:.1f} GFLOP/s")
    print()
    print("| model | shape (n_x, n_a, n_y, m, T) | dtype | pass | numpy | fastrnn | torch "
          "| vs numpy | vs torch | fastrnn GFLOP/s (% of the float64 dgemm rate) |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
    for (model, shape, dims, dtype, pass_), t in rows.items():
        fast, flops = t["fastrnn"]
        cells = [fmt(t[k][0]) if k in t else "-" for k in ("numpy", "fastrnn", "torch")]
        ratios = [f"{t[k][0] / fast:.1f}x" if k in t else "-" for k in ("numpy", "torch")]
        rate = flops / fast / 1e9 if flops else None
        percent = f" ({100 * flops / fast / dgemm:.0f}%)" if rate and dgemm and dtype == "float64" else ""
        share = f"{rate:.1f}{percent}" if rate else "-"
        print(f"| {model} | {shape} {dims} | {dtype} | {pass_} | {' | '.join(cells)} | {' | '.join(ratios)} "
              f"| {share} |")
    f32 = [(k, t["fastrnn"][0]) for k, t in rows.items() if k[3] == "float32" and "fastrnn" in t]
    if f32:
        print()
        print("| model | shape | pass | fastrnn float64 / float32 |")
        print("|---|---|---|---:|")
        for (model, shape, dims, _, pass_), t32 in f32:
            t64 = rows.get((model, shape, dims, "float64", pass_), {}).get("fastrnn")
            if t64:
                print(f"| {model} | {shape} | {pass_} | {t64[0] / t32:.2f}x |")
    if others:
        print()
        print("| group | benchmark | min time |")
        print("|---|---|---:|")
        for group, name, seconds in others:
            print(f"| {group} | {name} | {fmt(seconds)} |")


def versions(data):
    libraries = data["machine_info"].get("versions", {})
    text = ", ".join(f"{name} {version}" for name, version in libraries.items())
    threads = {b["extra_info"].get("threads") for b in data["benchmarks"]} - {None}
    text += "; " + (f"torch threads {', '.join(map(str, sorted(threads)))}" if threads else "no torch rows")
    return text


def fmt(seconds):
    return f"{seconds * 1e6:.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench/results.json")
