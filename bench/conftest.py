"""Keep the saved benchmark JSON small: summary statistics only, not every round's time."""


def pytest_benchmark_update_json(config, benchmarks, output_json):
    for bench in output_json["benchmarks"]:
        bench["stats"].pop("data", None)
