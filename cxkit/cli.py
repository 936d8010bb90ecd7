"""The ``cxkit`` command: a thin adapter over the library calls.

Exit codes: 0 success (warnings allowed), 1 a run or batch failed, 2 invalid
configuration, data or arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from .errors import ConfigError, CxkitError, DataError, StageError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxkit", description="Customer-experience engagement kit.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="validate, run the stage notebooks and build the deck")
    run.add_argument("engagement", help="the engagement YAML")
    run.add_argument("--out", default="out", help="output root (default: out)")
    run.add_argument("--workers", type=int, default=None, help="notebooks run at once (default: 3, the most stages that can run together)")

    check = sub.add_parser("validate", help="check the data files against the engagement; exit 2 on errors")
    check.add_argument("engagement")

    sample = sub.add_parser("sample", help="write a fictional engagement with its planted truth")
    sample.add_argument("folder")
    sample.add_argument("--seed", type=int, default=7)
    sample.add_argument("--customers", type=int, default=3000)
    sample.add_argument("--employees", type=int, default=320)
    sample.add_argument("--attributes", type=int, default=10, help="touchpoints rated (10 named; more are generic)")
    sample.add_argument("--id", dest="engagement_id", default=None, help="engagement id (default: northwind-SEED)")
    sample.add_argument("--client", default="Northwind Energy")
    sample.add_argument("--no-feedback", action="store_true", help="diagnostic only")
    sample.add_argument("--no-diagnostic", action="store_true", help="feedback only")
    sample.add_argument("--stores", type=int, default=0,
                        help="add a store column (planted leading and lagging stores) for cxkit batch --units")
    sample.add_argument("--no-signal", action="store_true",
                        help="plant nothing: outcomes independent of touchpoints, no segments, all groups alike")

    inspect = sub.add_parser("inspect", help="what a survey file holds: format, questions, values, suggested roles")
    inspect.add_argument("file", help="a CSV, TSV or Excel table, or a Qualtrics, SurveyMonkey, Google Forms or "
                                      "SPSS (.sav) export")
    inspect.add_argument("--format", default="auto", choices=("auto", "table", "qualtrics", "qualtrics_legacy",
                                                              "surveymonkey", "google_forms", "spss"),
                         help="how to read the file (default: detected, with the reason)")
    inspect.add_argument("--encoding", default=None, help="text encoding (default: sniffed: UTF-8, cp1252, latin-1)")
    inspect.add_argument("--sheet", default=None, help="the workbook's sheet (default: the first)")
    inspect.add_argument("--qsf", default=None, help="the Qualtrics survey definition: codes read as their labels")
    inspect.add_argument("--outcome", default=None, metavar="COLUMN",
                         help="the outcome column, when it is not found by its name or question")
    inspect.add_argument("--client", default=None, help="the client's name for the starter engagement")
    inspect.add_argument("--write-config", metavar="YAML", default=None,
                         help="also write a starter engagement YAML (never over an existing file), then validate it")

    deck = sub.add_parser("deck", help="rebuild the deck and Excel appendix from an existing run's results")
    deck.add_argument("engagement")
    deck.add_argument("--out", default="out")

    batch = sub.add_parser("batch", help="run many engagements, or one engagement's units, on a Dask cluster")
    batch.add_argument("engagements", nargs="+", help="engagement YAMLs")
    batch.add_argument("--out", default="out", help="output root (default: out); a summary goes to OUT/batch-summary.csv")
    batch.add_argument("--units", nargs="?", const="", default=None, metavar="COLUMN",
                       help="a deck per unit (region, store ...) and a roll-up: by the engagement's 'units:' or by "
                            "this feedback column")
    batch.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="a running Dask scheduler (tcp://host:8786); default: a local cluster, one worker per core")
    batch.add_argument("--workers", type=int, default=None, help="local cluster workers (default: one per core)")
    batch.add_argument("--force", action="store_true", help="run everything again, even what is unchanged")
    return parser


def _validate(args) -> int:
    from .inputs.config import load_engagement
    from .inputs.data import validate

    eng = load_engagement(args.engagement)
    report = validate(eng)
    for problem in report.problems:
        print(problem)
    rows = ", ".join(f"{part} {n:,} rows" for part, n in report.rows.items())
    verdict = "invalid" if report.errors else "valid"
    print(f"{eng.source.name}: {verdict} ({len(report.errors)} errors, {len(report.warnings)} warnings; {rows})")
    return 2 if report.errors else 0


def _run(args) -> int:
    from .paths import RunPaths
    from .run.pipeline import run_engagement

    outcome = run_engagement(args.engagement, args.out, args.workers, progress=lambda line: print(line, flush=True))
    print(f"done in {outcome.seconds:.1f}s: {outcome.folder}")
    if outcome.deck:
        print(f"deck: {outcome.deck}")
        print(f"appendix: {RunPaths(outcome.folder).appendix(outcome.engagement_id)}")
    return 0


def _sample(args) -> int:
    from .inputs.sample import write_sample

    written = write_sample(args.folder, seed=args.seed, customers=args.customers, employees=args.employees,
                           client=args.client, engagement_id=args.engagement_id,
                           feedback=not args.no_feedback, diagnostic=not args.no_diagnostic, attributes=args.attributes,
                           signal=not args.no_signal, stores=args.stores)
    print(f"wrote {written.config} (truth: {written.truth})")
    return 0


def _inspect(args) -> int:
    from dataclasses import replace

    from .inputs.config import load_engagement
    from .inputs.data import validate
    from .inputs.inspect import plan_engagement, write_starter
    from .inputs.readers import apply_qsf, read_export, read_qsf

    export = read_export(args.file, args.format, args.encoding, sheet=args.sheet)
    if args.qsf:
        frame, mapped, unknown = apply_qsf(export.frame, {q.column: q for q in export.questions}, read_qsf(args.qsf))
        export.report.notes.append(f"{len(mapped)} column(s) read through the survey definition {args.qsf}")
        export.report.notes += [f"{column}: codes {', '.join(codes[:5])} are not in {args.qsf}; left missing"
                                for column, (codes, _) in unknown.items()]
        export = replace(export, frame=frame)
    for line in export.report.lines():
        print(line)
    for r in plan_engagement(export, args.outcome).table().itertuples():
        row = f" [{r.matrix_row}]" if isinstance(r.matrix_row, str) else ""
        scale = f" ({r.scale})" if isinstance(r.scale, str) else ""
        note = f" -- {r.note}" if r.note else ""
        print(f"- {r.column}: {r.role}{scale}; {r.question[:70]}{row}; {r.answered:,} answers, {r.distinct} distinct: "
              f"{r.values[:100]}{note}")
    if not args.write_config:
        return 0
    starter = write_starter(export, args.file, args.write_config, args.client, args.qsf, args.outcome)
    checks = sum("CHECK" in line for line in starter.checks)
    print(f"wrote {args.write_config}: {checks} line(s) marked CHECK to decide")
    report = validate(load_engagement(args.write_config))
    for problem in report.errors:
        print(problem)
    verdict, step = ("valid", f"cxkit run {args.write_config} --out out") if report.ok else \
        ("not valid yet", f"correct the errors above, then cxkit validate {args.write_config}")
    print(f"{args.write_config}: {verdict} against the data ({len(report.errors)} errors, {len(report.warnings)} "
          f"warnings); next: {step}")
    return 0 if report.ok else 2


def _deck(args) -> int:
    from .run.pipeline import rebuild_deck

    deck = rebuild_deck(args.engagement, args.out)
    print(f"deck: {deck.path} ({deck.slides} slides)")
    print(f"appendix: {deck.workbook}")
    return 0


def _batch(args) -> int:
    from .run.batch import format_table, run_batch

    results = run_batch(args.engagements, args.out, args.workers, units=args.units, scheduler=args.scheduler,
                        force=args.force, progress=lambda line: print(line, flush=True))
    print(format_table(results))
    print(f"summary: {args.out}/batch-summary.csv")
    return 1 if any(r.status == "failed" for r in results) else 0


COMMANDS = {"run": _run, "validate": _validate, "sample": _sample, "inspect": _inspect, "deck": _deck,
            "batch": _batch}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, DataError) as exc:
        print(f"cxkit: {type(exc).__name__.replace('Error', '').lower()} errors, nothing was run:", file=sys.stderr)
        for problem in exc.problems:
            if getattr(problem, "severity", "error") == "error":
                print(f"  {problem}", file=sys.stderr)
        return 2
    except StageError as exc:
        f = exc.failure
        print(f"cxkit: {exc}", file=sys.stderr)
        print(f"  open the executed notebook to see the cell: {f.notebook}", file=sys.stderr)
        return 1
    except CxkitError as exc:
        print(f"cxkit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cxkit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure still gets a readable line
        print(f"cxkit: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("CXKIT_DEBUG"):
            traceback.print_exc()
        else:
            print("  set CXKIT_DEBUG=1 to see the traceback, and please report it", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
