"""Tasks whose states are bit vectors and whose actions are output bits, and the essay's T*.

A ``Task`` is a contextual bandit (an MDP of horizon 1): ``inputs`` state bits, ``outputs``
action bits, a training distribution over some states (the rest are deployment states), a
reward for every (training state, action), and the intended action on *every* state.  A
``TaskSet`` weighs tasks with p_i.  ``combine`` builds the essay's T*: ceil(log2 k)
task-index bits become the most significant input bits, the states are the disjoint union,
each state keeps its actions and rewards, and the training distribution is the p_i mixture.

``FiniteMDP`` is the general finite MDP (entries may be sympy symbols) used to prove the
value-decomposition lemma E[R(pi, T*)] = sum_i p_i E[R(pi, T_i)] symbolically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .specification import RewardSpecification, SpecificationError, reward_specification

MAX_TASK_INPUTS = 8


@dataclass(frozen=True)
class Task:
    """A contextual bandit over bit-vector states.

    ``training``: (state, probability) for the states training sees, probabilities summing
    to 1; every other state is a deployment state.  ``rewards``: (state, rewards of actions
    0 .. 2**outputs - 1) for each training state.  ``intended``: the intended action of
    every state 0 .. 2**inputs - 1.  Actions are output bits read as a number, y1 lowest.
    """

    name: str
    inputs: int
    outputs: int
    training: tuple[tuple[int, Fraction], ...]
    rewards: tuple[tuple[int, tuple[Fraction, ...]], ...]
    intended: tuple[int, ...]

    @property
    def states(self) -> range:
        return range(1 << self.inputs)

    @property
    def actions(self) -> range:
        return range(1 << self.outputs)

    @property
    def training_states(self) -> tuple[int, ...]:
        return tuple(state for state, _ in self.training)

    @property
    def deployment_states(self) -> tuple[int, ...]:
        seen = set(self.training_states)
        return tuple(state for state in self.states if state not in seen)

    def reward(self, state: int, action: int) -> Fraction:
        return dict(self.rewards)[state][action]

    def best_actions(self, state: int) -> tuple[int, ...]:
        """Actions of greatest reward on a training state."""
        row = dict(self.rewards)[state]
        best = max(row)
        return tuple(a for a, value in enumerate(row) if value == best)

    def expected_reward(self, policy: Callable[[int], int]) -> Fraction:
        """E[R(policy, T)]: the training-distribution average of the reward."""
        rewards = dict(self.rewards)
        return sum(
            (probability * rewards[state][policy(state)] for state, probability in self.training),
            start=Fraction(0),
        )

    def best_reward(self) -> Fraction:
        return self.expected_reward(lambda state: self.best_actions(state)[0])

    def specification(self, threshold: Fraction | int | None = None) -> RewardSpecification:
        """Circuits reaching expected reward ``threshold`` (default: the best reward)."""
        return reward_specification(
            self.inputs,
            self.outputs,
            dict(self.training),
            dict(self.rewards),
            self.best_reward() if threshold is None else Fraction(threshold),
        )


def task(
    name: str,
    inputs: int,
    outputs: int,
    training: Mapping[int, Fraction | int] | Sequence[int],
    intended: Callable[[int], int] | Mapping[int, int] | Sequence[int],
    reward: Callable[[int, int], Fraction | int]
    | Mapping[int, Sequence[Fraction | int]]
    | None = None,
) -> Task:
    """Build and validate a task from plain data.

    ``training`` maps states to positive weights (normalised to probabilities), or lists
    states (uniform).  ``intended`` gives the intended action of every state.  ``reward``
    defaults to 1 when the action is the intended one and 0 otherwise; otherwise it is a
    function ``(state, action) -> reward`` or a mapping state -> rewards of all actions.
    """
    if not isinstance(inputs, int) or not 0 <= inputs <= MAX_TASK_INPUTS:
        raise SpecificationError(f"task {name}: inputs must be between 0 and {MAX_TASK_INPUTS}")
    if not isinstance(outputs, int) or not 1 <= outputs <= 4:
        raise SpecificationError(f"task {name}: outputs must be between 1 and 4")
    states = 1 << inputs
    actions = 1 << outputs
    weights = (
        {state: Fraction(1) for state in training}
        if not isinstance(training, Mapping)
        else {state: Fraction(weight) for state, weight in training.items()}
    )
    if not weights:
        raise SpecificationError(f"task {name}: training sees no state")
    for state, weight in weights.items():
        if not isinstance(state, int) or not 0 <= state < states:
            raise SpecificationError(f"task {name}: {state!r} is not a state of {inputs} bits")
        if weight <= 0:
            raise SpecificationError(f"task {name}: state {state} has weight {weight}, not > 0")
    total = sum(weights.values(), Fraction(0))
    if callable(intended):
        intended_actions = tuple(int(intended(state)) for state in range(states))
    elif isinstance(intended, Mapping):
        missing = [state for state in range(states) if state not in intended]
        if missing:
            raise SpecificationError(
                f"task {name}: no intended action for state {missing[0]}"
                " (every state, deployment included, needs one)"
            )
        intended_actions = tuple(int(intended[state]) for state in range(states))
    else:
        intended_actions = tuple(int(action) for action in intended)
        if len(intended_actions) != states:
            raise SpecificationError(
                f"task {name}: {len(intended_actions)} intended actions for {states} states"
            )
    for state, action in enumerate(intended_actions):
        if not 0 <= action < actions:
            raise SpecificationError(f"task {name}: intended action {action} of state {state}")
    rows: list[tuple[int, tuple[Fraction, ...]]] = []
    for state in sorted(weights):
        if reward is None:
            row = tuple(Fraction(int(a == intended_actions[state])) for a in range(actions))
        elif callable(reward):
            row = tuple(Fraction(reward(state, a)) for a in range(actions))
        else:
            if state not in reward:
                raise SpecificationError(f"task {name}: no rewards for training state {state}")
            row = tuple(Fraction(value) for value in reward[state])
            if len(row) != actions:
                raise SpecificationError(
                    f"task {name}: state {state} has {len(row)} rewards for {actions} actions"
                )
        rows.append((state, row))
    return Task(
        name,
        inputs,
        outputs,
        tuple((state, weights[state] / total) for state in sorted(weights)),
        tuple(rows),
        intended_actions,
    )


@dataclass(frozen=True)
class TaskSet:
    """Tasks with weights p_i (normalised to sum to 1); all share state and action widths."""

    tasks: tuple[Task, ...]
    weights: tuple[Fraction, ...]

    @property
    def index_bits(self) -> int:
        """ceil(log2 k) task-index bits (0 for a single task)."""
        return max(len(self.tasks) - 1, 0).bit_length()

    @property
    def inputs(self) -> int:
        return self.tasks[0].inputs + self.index_bits

    @property
    def outputs(self) -> int:
        return self.tasks[0].outputs

    def position(self, name: str | int) -> int:
        if isinstance(name, int):
            if not 0 <= name < len(self.tasks):
                raise SpecificationError(f"there is no task number {name}")
            return name
        for index, member in enumerate(self.tasks):
            if member.name == name:
                return index
        raise SpecificationError(f"no task named {name!r} in the set")

    def combined_state(self, index: int, state: int) -> int:
        """State ``state`` of task ``index`` as a state of T* (index bits above the state bits)."""
        return state | (index << self.tasks[0].inputs)

    def average_reward(self, policy: Callable[[int], int]) -> Fraction:
        """sum_i p_i E[R(policy_i, T_i)], where policy_i reads task i's index bits."""
        total = Fraction(0)
        for index, (member, weight) in enumerate(zip(self.tasks, self.weights, strict=True)):

            def restricted(state: int, index: int = index) -> int:
                return policy(self.combined_state(index, state))

            total += weight * member.expected_reward(restricted)
        return total

    def best_average_reward(self) -> Fraction:
        return sum(
            (w * member.best_reward() for member, w in zip(self.tasks, self.weights, strict=True)),
            start=Fraction(0),
        )

    def set_specification(self, threshold: Fraction | int | None = None) -> RewardSpecification:
        """Circuits whose p-weighted average reward over the tasks reaches ``threshold``.

        Built from the set's definition, task by task, not through ``combine``: the check
        that the two specifications agree is the concrete side of the essay's lemma.
        """
        weights: dict[int, Fraction] = {}
        rewards: dict[int, tuple[Fraction, ...]] = {}
        for index, (member, p) in enumerate(zip(self.tasks, self.weights, strict=True)):
            for state, probability in member.training:
                weights[self.combined_state(index, state)] = p * probability
                rewards[self.combined_state(index, state)] = dict(member.rewards)[state]
        return reward_specification(
            self.inputs,
            self.outputs,
            weights,
            rewards,
            self.best_average_reward() if threshold is None else Fraction(threshold),
        )


def task_set(tasks: Sequence[Task], weights: Sequence[Fraction | int] | None = None) -> TaskSet:
    """Build a weighted task set (uniform weights by default)."""
    if not tasks:
        raise SpecificationError("a task set needs at least one task")
    first = tasks[0]
    for member in tasks:
        if (member.inputs, member.outputs) != (first.inputs, first.outputs):
            raise SpecificationError(
                f"task {member.name} has {member.inputs} inputs and {member.outputs} outputs; "
                f"task {first.name} has {first.inputs} and {first.outputs}: pad them to agree"
            )
    names = [member.name for member in tasks]
    if len(set(names)) != len(names):
        raise SpecificationError("task names in a set must differ")
    raw = [Fraction(1)] * len(tasks) if weights is None else [Fraction(w) for w in weights]
    if len(raw) != len(tasks) or any(w <= 0 for w in raw):
        raise SpecificationError("give one positive weight per task")
    total = sum(raw, Fraction(0))
    combined = TaskSet(tuple(tasks), tuple(w / total for w in raw))
    if combined.inputs > MAX_TASK_INPUTS:
        raise SpecificationError(
            f"T* would have {combined.inputs} input bits, more than {MAX_TASK_INPUTS}"
        )
    return combined


def combine(tasks: TaskSet, name: str = "T*") -> Task:
    """The essay's T*: one task whose states are the disjoint union of the tasks' states.

    Task i's state s becomes ``s + i * 2**n`` (index bits on top); its training
    probability is ``p_i * P_i(s)``, its rewards and intended action are task i's.  States
    of unused index values (k not a power of two) are deployment states with intended
    action 0; no task owns them.
    """
    n = tasks.tasks[0].inputs
    training: dict[int, Fraction] = {}
    rewards: dict[int, tuple[Fraction, ...]] = {}
    intended = [0] * (1 << tasks.inputs)
    for index, (member, p) in enumerate(zip(tasks.tasks, tasks.weights, strict=True)):
        for state in member.states:
            intended[state | (index << n)] = member.intended[state]
        for state, probability in member.training:
            training[state | (index << n)] = p * probability
        for state, row in member.rewards:
            rewards[state | (index << n)] = row
    return Task(
        name,
        tasks.inputs,
        tasks.outputs,
        tuple(sorted(training.items())),
        tuple(sorted(rewards.items())),
        tuple(intended),
    )


# -- general finite MDPs, for the symbolic lemma ----------------------------------------


@dataclass(frozen=True)
class FiniteMDP:
    """A finite MDP with arbitrary (e.g. symbolic) entries.

    ``initial[s]``, ``transition[s][a][s2]`` = P(s2 | s, a), ``reward[s][a]``; every state
    has the same number of actions (states of a disjoint union keep their own).
    """

    initial: tuple[Any, ...]
    transition: tuple[tuple[tuple[Any, ...], ...], ...]
    reward: tuple[tuple[Any, ...], ...]

    @property
    def states(self) -> int:
        return len(self.initial)

    @property
    def actions(self) -> int:
        return len(self.reward[0]) if self.reward else 0


def expected_return(mdp: FiniteMDP, policy: Sequence[Sequence[Any]], horizon: int) -> Any:
    """E[sum of rewards over ``horizon`` steps] for the stochastic policy ``policy[s][a]``."""
    values: list[Any] = [0] * mdp.states
    for _ in range(horizon):
        values = [
            sum(
                policy[s][a]
                * (
                    mdp.reward[s][a]
                    + sum(mdp.transition[s][a][t] * values[t] for t in range(mdp.states))
                )
                for a in range(mdp.actions)
            )
            for s in range(mdp.states)
        ]
    return sum(mdp.initial[s] * values[s] for s in range(mdp.states))


def combine_mdps(mdps: Sequence[FiniteMDP], weights: Sequence[Any]) -> FiniteMDP:
    """The essay's T* for general MDPs: disjoint union, transitions stay inside a component,
    initial distribution the weighted mixture, each state keeps its actions and rewards."""
    offsets = []
    total = 0
    for mdp in mdps:
        offsets.append(total)
        total += mdp.states
    initial: list[Any] = []
    transition: list[tuple[tuple[Any, ...], ...]] = []
    reward: list[tuple[Any, ...]] = []
    for mdp, weight, offset in zip(mdps, weights, offsets, strict=True):
        initial.extend(weight * mdp.initial[s] for s in range(mdp.states))
        for s in range(mdp.states):
            rows = []
            for a in range(mdp.actions):
                row: list[Any] = [0] * total
                for t in range(mdp.states):
                    row[offset + t] = mdp.transition[s][a][t]
                rows.append(tuple(row))
            transition.append(tuple(rows))
            reward.append(tuple(mdp.reward[s]))
    return FiniteMDP(tuple(initial), tuple(transition), tuple(reward))


# -- example task sets -----------------------------------------------------------------


def proxy_task_set() -> tuple[TaskSet, str]:
    """Three state bits; the goal of task ``door`` is x1 XOR x2, but on every state training
    shows it, the feature x3 agrees with the goal.  Task ``lamp`` rewards copying x3 on
    every state.  The shared cheapest policy copies x3: deceptive on ``door``'s deployment
    states.  Returns the set and the name of the bad task."""
    door = task(
        "door",
        3,
        1,
        [s for s in range(8) if ((s >> 2) & 1) == ((s & 1) ^ ((s >> 1) & 1))],
        lambda s: (s & 1) ^ ((s >> 1) & 1),
    )
    lamp = task("lamp", 3, 1, list(range(8)), lambda s: (s >> 2) & 1)
    return task_set([door, lamp]), "door"


def shared_goal_task_set() -> tuple[TaskSet, str]:
    """As ``proxy_task_set`` but the second task rewards the goal x1 XOR x2 itself on every
    state: now the cheapest shared policy computes the goal and is not deceptive."""
    door, _ = proxy_task_set()
    xor = task("xor", 3, 1, list(range(8)), lambda s: (s & 1) ^ ((s >> 1) & 1))
    return task_set([door.tasks[0], xor]), "door"
