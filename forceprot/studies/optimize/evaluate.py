"""Layout evaluation as picklable tasks over an executor (in-process or dask), remembered.

A task (:func:`_evaluate_batch`) compiles the problem's base scenario once per process
(:func:`forceprot.studies.executors.worker_cached`) and samples each of its layouts on the same
salvos; :class:`_Evaluator` splits layouts into tasks and never samples a layout twice at the
same size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from forceprot.compile import CompiledScenario, Prepared, compile_scenario, prepare
from forceprot.settings import RunSettings
from forceprot.studies.executors import Executor, InProcessExecutor, ScenarioSpec, worker_cached
from forceprot.studies.optimize.layouts import Layout, Score, layout_scored_compiled, score_results

__all__ = ["Progress"]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class _Problem:
    """What every layout task needs, picklable: the base scenario (the units kept fixed, no
    precision stop, no stories), candidate positions, objective, and the fixed units' names."""

    spec: ScenarioSpec
    candidates_xy: np.ndarray
    objective: str
    fixed_names: tuple[str, ...]
    #: Robust search: scenario overrides of each parameter draw; a layout's score is then its
    #: objective averaged over the draws (every draw on the same salvos). Empty: the scenario
    #: as given (its distributions at their medians).
    draws: tuple = ()


@dataclass(frozen=True)
class _EvalJob:
    problem: _Problem
    layouts: tuple[Layout, ...]
    salvos: int
    seed: int
    threads: int | None
    per_salvo: bool = False


def _base_compiled(problem: _Problem, changes: dict | None = None
                   ) -> tuple[Prepared, CompiledScenario]:
    """The problem's base scenario (with a draw's ``changes``), prepared and compiled once per
    process: the layouts' units are added to the compiled arrays, and placed over the prepared
    site's terrain."""
    spec = problem.spec.with_changes(changes) if changes else problem.spec

    def build() -> tuple[Prepared, CompiledScenario]:
        prepared = prepare(spec.scenario())
        return prepared, compile_scenario(prepared)

    return worker_cached("optimize:" + spec.key, build)


def _mean_score(scores: list[Score]) -> Score:
    """A layout's robust score: the objective and leak rate averaged over the draws, the
    interval the average of the draws' intervals (their Monte Carlo errors share the salvos)."""
    first = scores[0]
    return Score(objective=first.objective,
                 value=float(np.mean([s.value for s in scores])),
                 lo=float(np.mean([s.lo for s in scores])),
                 hi=float(np.mean([s.hi for s in scores])),
                 leak_rate=float(np.mean([s.leak_rate for s in scores])),
                 salvos=first.salvos * len(scores))


def _evaluate_batch(job: _EvalJob) -> list[Score]:
    """Task: sample each layout of the job on the common sample and score it."""
    from forceprot.simulate import simulate

    problem = job.problem
    base = _base_compiled(problem)  # (prepared, compiled): the terrain places new units
    # every layout on the same salvos; per-salvo figures need every rocket's story
    settings = RunSettings(salvos=job.salvos, seed=job.seed, precision=None,
                           story_salvos=job.salvos if job.per_salvo else 0, threads=job.threads)
    # paired per-salvo comparisons are made at the scenario as given, robust or not
    draws = problem.draws if problem.draws and not job.per_salvo else (None,)
    bases = [base if d is None else _base_compiled(problem, d) for d in draws]
    out = []
    for layout in job.layouts:
        scores = []
        for b_prepared, b in bases:
            # only the unit bundle changes: no scenario is validated per layout
            compiled = layout_scored_compiled(b, b_prepared, problem.candidates_xy, layout)
            if problem.objective != "casualties":  # no casualty stage for other objectives
                compiled = compiled.without_people()
            results = simulate(compiled, settings)
            scores.append(score_results(results, problem.objective,
                                        with_per_salvo=job.per_salvo))
        out.append(scores[0] if len(scores) == 1 else _mean_score(scores))
    return out


class _Evaluator:
    """Scores layouts through an executor, remembering every score (a layout is never sampled
    twice at the same size)."""

    def __init__(self, problem: _Problem, executor: Executor, seed: int,
                 progress: Progress | None) -> None:
        self.problem = problem
        self.executor = executor
        self.seed = seed
        self.progress = progress
        self.memo: dict[tuple[Layout, int], Score] = {}
        self.runs = 0
        self.salvos_sampled = 0

    def scores(self, layouts: list[Layout], salvos: int, label: str) -> list[Score]:
        todo = list(dict.fromkeys(l for l in layouts if (l, salvos) not in self.memo))
        if todo:
            # enough chunks to keep every worker busy and the progress bar moving
            n_chunks = min(len(todo), max(1, self.executor.n_workers) * 4,
                           max(1, len(todo) // 2))
            if isinstance(self.executor, InProcessExecutor):
                n_chunks = min(len(todo), 40)
            chunks = [tuple(c) for c in np.array_split(np.arange(len(todo)), n_chunks) if len(c)]
            jobs = [_EvalJob(self.problem, tuple(todo[i] for i in c), salvos, self.seed,
                             self.executor.task_threads) for c in chunks]
            sizes = [len(j.layouts) for j in jobs]
            done_layouts = np.cumsum([0] + sizes)

            def tick(done: int, total: int) -> None:
                if self.progress is not None:
                    self.progress(label, int(done_layouts[done]), len(todo))

            if self.progress is not None:
                self.progress(label, 0, len(todo))
            results = self.executor.map(_evaluate_batch, jobs, progress=tick)
            for job, scores in zip(jobs, results):
                for layout, score in zip(job.layouts, scores):
                    self.memo[(layout, salvos)] = score
            self.runs += len(todo)
            self.salvos_sampled += len(todo) * salvos
        return [self.memo[(l, salvos)] for l in layouts]
