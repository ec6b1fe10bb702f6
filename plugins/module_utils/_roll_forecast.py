# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# FOR INTERNAL COLLECTION USE ONLY
# The interfaces in this file are meant for use within the fastrestart.aerospike collection
# and may not remain stable to outside uses. Changes may be made in ANY release, even a bugfix release.

"""How long a roll will take: per-step seconds, per batch, and the whole, before it starts.

The steps' seconds come from the last roll's report when there is one (its median per step, and
its backup and restore rates in bytes per second, scaled to each host's segments); otherwise from
defaults. A batch's hosts run each step in parallel, but only ``forks`` at a time: a batch of n
hosts takes ceil(n / forks) turns of its slowest host's cycle, plus the batch's gates.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

STEPS = ('stop', 'backup', 'reboot', 'restore', 'warm_start', 'rejoin')
FIXED_STEPS = ('stop', 'reboot', 'warm_start', 'rejoin')
SIZED_STEPS = ('backup', 'restore')
# Defaults without a report: a server-class reboot, and rates well below those benchmarks/ measures
# from the page cache (a cold disk and a busy host are the usual case).
DEFAULT_SECONDS = {'stop': 10.0, 'reboot': 90.0, 'warm_start': 10.0, 'rejoin': 15.0}
DEFAULT_RATES = {'backup': 400e6, 'restore': 800e6}
DEFAULT_GATE_SECONDS = {'rack': 20.0, 'node': 5.0}


def _median(values):
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


def step_model(report=None):
    """{'seconds': {step: s}, 'rates': {step: bytes/s}, 'source': text} from a report document or defaults."""
    rows = [row for row in ((report or {}).get('reports') or []) if row.get('timings')]
    seconds, rates = dict(DEFAULT_SECONDS), dict(DEFAULT_RATES)
    for step in FIXED_STEPS:
        measured = _median([float(row['timings'][step]) for row in rows if step in row['timings']])
        seconds[step] = measured if measured is not None else seconds[step]
    for step in SIZED_STEPS:
        timed = [row for row in rows if float(row['timings'].get(step, 0)) > 0]
        total = sum(float(row['timings'][step]) for row in timed)
        if total > 0 and sum(int(row.get('bytes') or 0) for row in timed) > 0:
            rates[step] = sum(int(row.get('bytes') or 0) for row in timed) / total
    source = ("the last roll's report (%d hosts)" % len(rows)) if rows else 'defaults (no report of an earlier roll)'
    return dict(seconds=seconds, rates=rates, source=source)


def host_seconds(model, size):
    """{step: seconds} of one host whose segments hold ``size`` bytes."""
    steps = dict(model['seconds'])
    steps.update((step, size / model['rates'][step]) for step in SIZED_STEPS)
    return dict((step, round(steps[step], 1)) for step in STEPS)


def forecast(batches, sizes, model, forks=5, mode='node', gate_seconds=None):
    """The forecast of a plan's ``batches`` ([{'rack', 'hosts'}]), given each host's bytes."""
    forks = max(1, int(forks or 5))
    gate = DEFAULT_GATE_SECONDS[mode] if gate_seconds is None else float(gate_seconds)
    rows, total = [], 0.0
    for batch in batches:
        cycles = [sum(host_seconds(model, int(sizes.get(host) or 0)).values()) for host in batch['hosts']]
        turns = -(-len(batch['hosts']) // forks)
        seconds = turns * max(cycles or [0.0]) + gate
        total += seconds
        rows.append(dict(rack=batch.get('rack'), hosts=len(batch['hosts']), turns=turns, seconds=round(seconds, 1)))
    widest = max([len(batch['hosts']) for batch in batches] or [0])
    steps = host_seconds(model, max([int(size or 0) for size in sizes.values()] or [0]))
    return dict(source=model['source'], forks=forks, steps=steps, batches=rows, total_seconds=round(total, 1),
                gate_seconds=gate, forks_short=forks < widest)


def fill_delay_advice(result, fill_delay):
    """What to do about fill migrations (the copies refilled while a rack is down), given the delay the roll sets."""
    down = max([row['seconds'] / row['turns'] for row in result['batches']] or [0.0])
    if not fill_delay:
        return ('Fill migrations: a rack is down for about %d s; -e rolling_reboot_migrate_fill_delay=%d defers the '
                'migrations that refill its copies elsewhere until it is back (restored after the roll).'
                % (down, 2 * down))
    if fill_delay < down:
        return ('Fill migrations: migrate-fill-delay %d s is below the %d s a rack is expected down: raise '
                'rolling_reboot_migrate_fill_delay.' % (fill_delay, down))
    return ('Fill migrations: migrate-fill-delay set to %d s on every node for the roll (a rack is down for about '
            '%d s), and set back after it.' % (fill_delay, down))


def _duration(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return ('%d h %02d min' % (hours, rest // 60)) if hours else ('%d min %02d s' % divmod(rest, 60))


def describe(result):
    """The forecast as lines for --check and the summary."""
    steps = ', '.join('%s %.1f s' % (step, result['steps'][step]) for step in STEPS)
    lines = ['Forecast from %s: per host %s.' % (result['source'], steps)]
    turns = sum(row['turns'] for row in result['batches'])
    lines.append('%d batches, %d turns with forks %d: about %s in all (%d s).'
                 % (len(result['batches']), turns, result['forks'], _duration(result['total_seconds']),
                    round(result['total_seconds'])))
    if result['forks_short']:
        lines.append('forks is below the widest batch: raise it (-f) and the roll shortens to about %s.'
                     % _duration(sum((row['seconds'] - result['gate_seconds']) / row['turns'] + result['gate_seconds']
                                     for row in result['batches'])))
    return lines
