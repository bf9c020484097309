"""Benchmark JSON: summary statistics only (not every round's time), and the library versions of the run."""
import importlib.metadata


def pytest_benchmark_update_machine_info(config, machine_info):
    versions = {}
    for name in ("numpy", "numba", "llvmlite", "scipy", "torch"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    machine_info["versions"] = versions


def pytest_benchmark_update_json(config, benchmarks, output_json):
    for bench in output_json["benchmarks"]:
        bench["stats"].pop("data", None)
