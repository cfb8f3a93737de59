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
    # Don't-care states: neither trained nor deployment (``ignore where``, padding).
    ignored: frozenset[int] = frozenset()
    # A deterministic MDP: ``horizon`` steps, ``successor[state * 2**outputs + action]``;
    # training then lists start states and ``rewards`` covers every state.
    horizon: int = 1
    successor: tuple[int, ...] | None = None
    # Output bits the task itself has (the rest come from padding and are not judged).
    own_outputs: int | None = None

    @property
    def states(self) -> range:
        return range(1 << self.inputs)

    @property
    def actions(self) -> range:
        return range(1 << self.outputs)

    @property
    def judged_outputs(self) -> int:
        return self.outputs if self.own_outputs is None else self.own_outputs

    @property
    def training_states(self) -> tuple[int, ...]:
        return tuple(state for state, _ in self.training)

    @property
    def deployment_states(self) -> tuple[int, ...]:
        """Start states training never sees and the task does not ignore."""
        seen = set(self.training_states)
        return tuple(s for s in self.states if s not in seen and s not in self.ignored)

    @property
    def relevant_states(self) -> tuple[int, ...]:
        return tuple(s for s in self.states if s not in self.ignored)

    def next_state(self, state: int, action: int) -> int:
        if self.successor is None:
            return state
        return self.successor[state * (1 << self.outputs) + action]

    def episode(self, policy: Callable[[int], int], start: int) -> tuple[tuple[int, int], ...]:
        """The (state, action) pairs of the episode from ``start`` under ``policy``."""
        steps = []
        state = start
        for _ in range(self.horizon):
            action = policy(state)
            steps.append((state, action))
            state = self.next_state(state, action)
        return tuple(steps)

    def sequences(self, start: int) -> tuple[tuple[tuple[tuple[int, int], ...], Fraction], ...]:
        """Every action sequence from ``start`` as its (state, action) steps with the summed reward (0 where no reward is defined)."""
        own = 1 << self.outputs
        rewards = dict(self.rewards)
        found: list[tuple[tuple[tuple[int, int], ...], Fraction]] = []

        def walk(state: int, steps: tuple[tuple[int, int], ...], total: Fraction) -> None:
            if len(steps) == self.horizon:
                found.append((steps, total))
                return
            for action in range(own):
                row = rewards.get(state)
                gain = row[action] if row is not None else Fraction(0)
                walk(self.next_state(state, action), (*steps, (state, action)), total + gain)

        walk(start, (), Fraction(0))
        return tuple(found)

    def intended_episode(self, start: int) -> tuple[tuple[int, int], ...]:
        return self.episode(lambda s: self.intended[s], start)

    def episodes(self) -> tuple[tuple[int, Fraction, tuple[Any, ...]], ...]:
        """Each training start with its probability and every action sequence from it."""
        return tuple((s, p, self.sequences(s)) for s, p in self.training)

    def reward(self, state: int, action: int) -> Fraction:
        return dict(self.rewards)[state][action]

    def best_actions(self, state: int) -> tuple[int, ...]:
        """Actions of greatest reward on a training state."""
        row = dict(self.rewards)[state]
        best = max(row)
        return tuple(a for a, value in enumerate(row) if value == best)

    def episode_return(self, policy: Callable[[int], int], start: int) -> Fraction:
        rewards = dict(self.rewards)
        return sum((rewards[s][a] for s, a in self.episode(policy, start)), start=Fraction(0))

    def best_return(self, start: int) -> Fraction:
        if self.horizon == 1:
            return max(dict(self.rewards)[start])
        return max(total for _, total in self.sequences(start))

    def expected_reward(self, policy: Callable[[int], int]) -> Fraction:
        """E[R(policy, T)]: the training-distribution average of the (episode) reward."""
        return sum(
            (p * self.episode_return(policy, state) for state, p in self.training),
            start=Fraction(0),
        )

    def best_reward(self) -> Fraction:
        return sum((p * self.best_return(state) for state, p in self.training), start=Fraction(0))

    def full_training_reward(self, policy: Callable[[int], int]) -> bool:
        """The best return from every training start."""
        return all(
            self.episode_return(policy, s) == self.best_return(s) for s in self.training_states
        )

    def specification(self, threshold: Fraction | int | None = None) -> RewardSpecification:
        """Circuits reaching expected reward ``threshold`` (default: the best reward).

        For a task of horizon > 1 the episode reward is not a function of one state's
        action: the specification then has no weights, and the reduction adds the
        unrolled episode constraint to the solver (``calculus.circuits.reduction``).
        """
        if self.horizon > 1:
            return RewardSpecification(self.inputs, self.outputs, (), (), Fraction(0))
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
    *,
    ignored: Sequence[int] = (),
    horizon: int = 1,
    successor: Callable[[int, int], int] | None = None,
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
    ignored_states = frozenset(ignored)
    for state in weights:
        if state in ignored_states:
            raise SpecificationError(f"task {name}: state {state} is both trained and ignored")
    if not 1 <= horizon <= 8:
        raise SpecificationError(f"task {name}: the horizon must be between 1 and 8")
    successors: tuple[int, ...] | None = None
    if horizon > 1:
        if successor is None:
            successor = lambda state, action: state  # noqa: E731
        successors = tuple(successor(s, a) for s in range(states) for a in range(actions))
        if any(not 0 <= t < states for t in successors):
            raise SpecificationError(f"task {name}: a transition leaves the states")
    # An MDP needs rewards on every state its episodes may visit.
    rewarded_states = sorted(weights) if horizon == 1 else list(range(states))
    rows: list[tuple[int, tuple[Fraction, ...]]] = []
    for state in rewarded_states:
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
        ignored_states,
        horizon,
        successors,
    )


def pad(member: Task, inputs: int, outputs: int) -> Task:
    """``member`` widened to ``inputs`` state bits and ``outputs`` action bits.

    New state bits are the most significant ones: states where any of them is 1 are
    ignored (neither trained nor deployment); new output bits earn nothing and are not
    judged (rewards and predicates read the task's own bits only).
    """
    if (member.inputs, member.outputs) == (inputs, outputs):
        return member
    if inputs < member.inputs or outputs < member.outputs:
        raise SpecificationError(f"task {member.name} cannot be narrowed")
    own_actions = 1 << member.outputs
    mask = own_actions - 1
    low = 1 << member.inputs
    widened_actions = 1 << outputs
    rows = tuple(
        (state, tuple(row[a & mask] for a in range(widened_actions)))
        for state, row in member.rewards
    )
    successor = None
    if member.successor is not None:
        successor = tuple(
            member.next_state(s, a & mask) if s < low else s
            for s in range(1 << inputs)
            for a in range(widened_actions)
        )
    return Task(
        member.name,
        inputs,
        outputs,
        member.training,
        rows,
        member.intended + (0,) * ((1 << inputs) - low),
        member.ignored | frozenset(range(low, 1 << inputs)),
        member.horizon,
        successor,
        member.judged_outputs,
    )


@dataclass(frozen=True)
class TaskSet:
    """Tasks with weights p_i (normalised to sum to 1); all share state and action widths."""

    tasks: tuple[Task, ...]
    weights: tuple[Fraction, ...]
    by_data: bool = False  # no index bits: the tasks' own states tell them apart

    @property
    def index_bits(self) -> int:
        """ceil(log2 k) task-index bits (0 for a single task, or a set told apart by data)."""
        if self.by_data:
            return 0
        return max(len(self.tasks) - 1, 0).bit_length()

    @property
    def horizon(self) -> int:
        return self.tasks[0].horizon

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
        if self.by_data:
            return state
        return state | (index << self.tasks[0].inputs)

    def average_reward(self, policy: Callable[[int], int]) -> Fraction:
        """sum_i p_i E[R(policy_i, T_i)], where policy_i reads task i's index bits."""
        total = Fraction(0)
        for index, (member, weight) in enumerate(zip(self.tasks, self.weights, strict=True)):

            def restricted(state: int, index: int = index) -> int:
                return policy(self.combined_state(index, state))

            total += weight * member.expected_reward(restricted)
        return total

    def episodes(self) -> tuple[tuple[int, Fraction, tuple[Any, ...]], ...]:
        """Each training start of T* with its weight and every action sequence from it
        (as T* states and actions, with its reward), built member by member from the
        set's definition; ``combine(...).episodes()`` must agree."""
        found: dict[int, tuple[Fraction, tuple[Any, ...]]] = {}
        for index, (member, p) in enumerate(zip(self.tasks, self.weights, strict=True)):
            for state, probability in member.training:
                sequences = tuple(
                    (tuple((self.combined_state(index, s), a) for s, a in steps), total)
                    for steps, total in member.sequences(state)
                )
                start = self.combined_state(index, state)
                weight = found[start][0] if start in found else Fraction(0)
                found[start] = (weight + p * probability, sequences)
        return tuple((start, w, seq) for start, (w, seq) in sorted(found.items()))

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
        if self.horizon > 1:
            return RewardSpecification(self.inputs, self.outputs, (), (), Fraction(0))
        weights: dict[int, Fraction] = {}
        rewards: dict[int, tuple[Fraction, ...]] = {}
        for index, (member, p) in enumerate(zip(self.tasks, self.weights, strict=True)):
            for state, probability in member.training:
                combined = self.combined_state(index, state)
                weights[combined] = weights.get(combined, Fraction(0)) + p * probability
                rewards[combined] = dict(member.rewards)[state]
        return reward_specification(
            self.inputs,
            self.outputs,
            weights,
            rewards,
            self.best_average_reward() if threshold is None else Fraction(threshold),
        )


def task_set(
    tasks: Sequence[Task],
    weights: Sequence[Fraction | int] | None = None,
    *,
    by_data: bool = False,
) -> TaskSet:
    """Build a weighted task set (uniform weights by default).

    Tasks of different widths are padded to the widest (``pad``).  ``by_data``: no index
    bits; a state trained by two tasks must have the same rewards (and transitions) in
    both, else the set is rejected with the state and the two tasks named.
    """
    if not tasks:
        raise SpecificationError("a task set needs at least one task")
    horizons = {member.horizon for member in tasks}
    if len(horizons) > 1:
        raise SpecificationError("the tasks of a set must share one horizon")
    width = max(member.inputs for member in tasks)
    actions = max(member.outputs for member in tasks)
    tasks = [pad(member, width, actions) for member in tasks]
    if by_data:
        _check_no_conflicts(tasks)
    names = [member.name for member in tasks]
    if len(set(names)) != len(names):
        raise SpecificationError("task names in a set must differ")
    raw = [Fraction(1)] * len(tasks) if weights is None else [Fraction(w) for w in weights]
    if len(raw) != len(tasks) or any(w <= 0 for w in raw):
        raise SpecificationError("give one positive weight per task")
    total = sum(raw, Fraction(0))
    combined = TaskSet(tuple(tasks), tuple(w / total for w in raw), by_data)
    if combined.inputs > MAX_TASK_INPUTS:
        raise SpecificationError(
            f"T* would have {combined.inputs} input bits, more than {MAX_TASK_INPUTS}"
        )
    return combined


def _check_no_conflicts(tasks: Sequence[Task]) -> None:
    owner: dict[int, Task] = {}
    for member in tasks:
        rows = dict(member.rewards)
        for state in member.training_states:
            other = owner.get(state)
            if other is None:
                owner[state] = member
                continue
            same_moves = member.successor is None or all(
                member.next_state(state, a) == other.next_state(state, a) for a in member.actions
            )
            if dict(other.rewards)[state] != rows[state] or not same_moves:
                bits = "".join(str((state >> k) & 1) for k in range(member.inputs))
                raise ConflictError(
                    f"tasks {other.name} and {member.name} both train on state {bits} but "
                    "reward it differently; told apart by data, a state belongs to one task",
                    (other.name, member.name, bits),
                )


class ConflictError(SpecificationError):
    """Two tasks of a set told apart by data disagree on a state both train on."""

    def __init__(self, message: str, where: tuple[str, str, str]) -> None:
        super().__init__(message)
        self.where = where


def combine(tasks: TaskSet, name: str = "T*") -> Task:
    """The essay's T*: one task whose states are the disjoint union of the tasks' states.

    Task i's state s becomes ``s + i * 2**n`` (index bits on top); its training
    probability is ``p_i * P_i(s)``, its rewards and intended action are task i's.  States
    of unused index values (k not a power of two) are deployment states with intended
    action 0; no task owns them.
    """
    size = 1 << tasks.inputs
    actions = 1 << tasks.outputs
    training: dict[int, Fraction] = {}
    rewards: dict[int, tuple[Fraction, ...]] = {}
    intended = [0] * size
    owned: set[int] = set()
    successor: list[int] | None = None
    if tasks.horizon > 1:
        successor = [s for s in range(size) for _ in range(actions)]
    if successor is not None:
        # Every state of every task moves as its task says (ignored ones included); the
        # states a task does not ignore are set again below, so they take precedence.
        for index in reversed(range(len(tasks.tasks))):
            member = tasks.tasks[index]
            for state in member.states:
                combined = tasks.combined_state(index, state)
                for a in range(actions):
                    successor[combined * actions + a] = tasks.combined_state(
                        index, member.next_state(state, a)
                    )
    # Later tasks first, so that where states are shared (by data) the first task's
    # intended action and transitions stand, and every trained state's are its trainer's.
    for index in reversed(range(len(tasks.tasks))):
        member = tasks.tasks[index]
        for state in member.relevant_states:
            combined = tasks.combined_state(index, state)
            intended[combined] = member.intended[state]
            owned.add(combined)
            if successor is not None:
                for a in range(actions):
                    successor[combined * actions + a] = tasks.combined_state(
                        index, member.next_state(state, a)
                    )
        if successor is not None:
            for state, row in member.rewards:
                rewards[tasks.combined_state(index, state)] = row
    for index, (member, p) in enumerate(zip(tasks.tasks, tasks.weights, strict=True)):
        for state, probability in member.training:
            combined = tasks.combined_state(index, state)
            training[combined] = training.get(combined, Fraction(0)) + p * probability
            rewards[combined] = dict(member.rewards)[state]
            intended[combined] = member.intended[state]
            if successor is not None:
                for a in range(actions):
                    successor[combined * actions + a] = tasks.combined_state(
                        index, member.next_state(state, a)
                    )
    if successor is not None:
        for state in range(size):
            rewards.setdefault(state, (Fraction(0),) * actions)
    # States no task owns (unused index values, states every task ignores) are ignored.
    ignored = frozenset(s for s in range(size) if s not in owned and s not in training)
    return Task(
        name,
        tasks.inputs,
        tasks.outputs,
        tuple(sorted(training.items())),
        tuple(sorted(rewards.items())),
        tuple(intended),
        ignored,
        tasks.horizon,
        None if successor is None else tuple(successor),
        None,
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
