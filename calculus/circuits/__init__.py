"""Minimum Boolean circuits by exact synthesis, and the essay's minimal-circuit reduction.

``synthesize`` finds a proved-minimum circuit for truth tables; ``check_reduction`` checks
the reduction of DESIGN section 6 on a concrete task set; ``synth_main`` is ``cost synth``.
"""

from .circuit import Circuit, Gate, Output
from .cli import synth_main
from .reduction import (
    DECEPTIVE,
    MISGENERALISES,
    Predicate,
    PredicateDecision,
    ReductionCheck,
    ReductionResult,
    check_reduction,
    value_decomposition_lemma,
)
from .specification import (
    RewardSpecification,
    SpecificationError,
    TableSpecification,
    reward_specification,
    table_specification,
)
from .synthesis import (
    LookupTableSize,
    ProofStep,
    SynthesisResult,
    lookup_table_size,
    synthesize,
    synthesize_reward,
    synthesize_specification,
)
from .tasks import Task, TaskSet, combine, proxy_task_set, shared_goal_task_set, task, task_set

__all__ = [
    "DECEPTIVE",
    "MISGENERALISES",
    "Circuit",
    "Gate",
    "LookupTableSize",
    "Output",
    "Predicate",
    "PredicateDecision",
    "ProofStep",
    "ReductionCheck",
    "ReductionResult",
    "RewardSpecification",
    "SpecificationError",
    "SynthesisResult",
    "TableSpecification",
    "Task",
    "TaskSet",
    "check_reduction",
    "combine",
    "lookup_table_size",
    "proxy_task_set",
    "reward_specification",
    "shared_goal_task_set",
    "synth_main",
    "synthesize",
    "synthesize_reward",
    "synthesize_specification",
    "table_specification",
    "task",
    "task_set",
    "value_decomposition_lemma",
]
