# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fastrestart.aerospike maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rack-aware cluster model of sim/asinfo.py (docs/racks.md, "Racks come from the live cluster").

Most tests use a hand-made cluster folder (tests/sim/fake_cluster.py): the node locks are held by
this process, as a running asd holds them. The last ones run real asd processes from aerospike.conf.
"""

from __future__ import absolute_import, division, print_function

import json
import os
import re
import subprocess
import sys
import time

import pytest

from .fake_cluster import ASINFO, FakeCluster, asinfo_sim
from .test_asd_sim import CONSOLE_CONF, HOST, SIM, asd, load, sim, write  # noqa: F401 pylint: disable=unused-import

__metaclass__ = type

SIX = ('h1', 'h2', 'h3', 'h4', 'h5', 'h6')


@pytest.fixture
def cluster(tmp_path):
    fake = FakeCluster(str(tmp_path / 'cluster'))
    yield fake
    fake.close()


def racked(cluster, racks, build='7.1.0.0', namespaces=('test',), rf=2, sc=False, **extra):
    """Start h1..hN with rack-ids `racks` (one per node, or {ns: [..]} per namespace)."""
    for index, node_id in enumerate(SIX[:len(racks) if isinstance(racks, list) else 6]):
        config = {}
        for ns in namespaces:
            ids = racks if isinstance(racks, list) else racks.get(ns, [0] * 6)
            config[ns] = {'rack-id': ids[index], 'replication-factor': rf, 'strong-consistency': sc}
        cluster.node(node_id, build=build, namespaces=namespaces, namespace_config=config, **extra)


def hexes(cluster, *nodes):
    return ','.join(sorted(cluster.hex(node) for node in nodes))


def field(reply, name):
    return re.search(r'(?:^|;)%s=([^;]*)' % re.escape(name), reply).group(1)


# ----------------------------------------------------------------------------------------------
# racks: and roster: (racks.md 1.1, 1.2)

def test_racks_lists_live_members_by_rack_per_namespace(cluster):
    racked(cluster, {'test': [1, 1, 2, 2, 3, 3], 'bar': [1, 2, 3, 1, 2, 3]}, namespaces=('test', 'bar'))
    h = dict((node, cluster.hex(node)) for node in SIX)
    rows = 'rack_1=%s:rack_2=%s:rack_3=%s'
    test = rows % (hexes(cluster, 'h1', 'h2'), hexes(cluster, 'h3', 'h4'), hexes(cluster, 'h5', 'h6'))
    other = rows % (hexes(cluster, 'h1', 'h4'), hexes(cluster, 'h2', 'h5'), hexes(cluster, 'h3', 'h6'))
    assert cluster.asinfo('h1', '-v', 'racks:') == ('ns=test:%s;ns=bar:%s\n' % (test, other), 0)
    assert cluster.asinfo('h4', '-v', 'racks:namespace=bar') == (other + '\n', 0)
    assert cluster.value('h2', 'racks:ns=bar') == 'ns=test:%s;ns=bar:%s' % (test, other)  # other keys are ignored
    assert cluster.value('h4', 'rack-ids') == 'test:2;bar:1'  # configured, the shape asadm reads
    out, rc = cluster.asinfo('h3', '-l', '-v', 'racks:namespace=test')
    assert (out.splitlines(), rc) == (test.split(':'), 0)
    cluster.stop('h5')
    cluster.stop('h6')  # a stopped node vanishes, and an empty rack with it
    assert cluster.value('h1', 'racks:namespace=test') == 'rack_1=%s:rack_2=%s' % (
        hexes(cluster, 'h1', 'h2'), hexes(cluster, 'h3', 'h4'))
    assert h['h5'] not in cluster.value('h1', 'racks:namespace=bar')


def test_no_rack_id_is_rack_0_and_asd_defaults_apply(cluster):
    cluster.node('h1')
    cluster.node('h2', namespace_config={'test': {'rack-id': 0}})
    assert cluster.value('h2', 'racks:') == 'ns=test:rack_0=%s' % hexes(cluster, 'h1', 'h2')
    ns = cluster.value('h1', 'namespace/test')
    assert (field(ns, 'replication-factor'), field(ns, 'rack-id'), field(ns, 'strong-consistency')) == (
        '2', '0', 'false')


@pytest.mark.parametrize('build, request_, expected', [
    ('7.0.0.3', 'racks:namespace=nope', 'ERROR::unknown-namespace'),
    ('7.1.0.0', 'racks:namespace=nope', 'ERROR::unknown-namespace'),
    ('7.2.0.1', 'racks:namespace=nope', 'ERROR:20:namespace not found on node'),
    ('7.0.0.3', 'racks:namespace=', 'ERROR::unknown-namespace'),
    ('7.1.0.0', 'racks:namespace=', 'ERROR::unknown-namespace'),
    ('7.2.0.1', 'racks:namespace=', "ERROR:20:missing 'namespace' value"),
    ('7.0.0.3', 'racks:namespace=' + 'n' * 32, 'ERROR::bad-namespace'),
    ('7.1.0.0', 'racks:namespace=' + 'n' * 32, 'ERROR::bad-namespace'),
    ('8.1.0.0', 'racks:namespace=' + 'n' * 32, "ERROR:20:'namespace' value too long"),
    ('7.0.0.3', 'roster:namespace=nope', 'ERROR::unknown-namespace'),
    ('7.2.0.1', 'roster:namespace=', "ERROR:20:missing 'namespace' value"),
])
def test_racks_and_roster_errors_per_version(cluster, build, request_, expected):
    cluster.node('h1', build=build)
    assert cluster.asinfo('h1', '-v', request_) == (expected + '\n', 1)


@pytest.mark.parametrize('build, expected', [
    ('6.4.0.2', 'ERROR::enterprise-only'), ('7.1.0.0', 'ERROR:25:enterprise-only'),
    ('7.2.0.1', 'ERROR:25:enterprise only'), ('8.1.0.0', 'ERROR:25:enterprise only'),
])
def test_community_edition_refuses_racks_roster_and_ee_settings(cluster, build, expected):
    cluster.node('h1', build=build, edition='community')
    for request_ in ('racks:', 'racks:namespace=test', 'roster:', 'roster-set:namespace=test;nodes=A', 'rack-ids',
                     'set-config:context=service;migrate-fill-delay=60',
                     'set-config:context=namespace;id=test;rack-id=1'):
        assert cluster.asinfo('h1', '-v', request_) == (expected + '\n', 1), request_
    assert cluster.value('h1', 'edition') == 'Aerospike Community Edition'


def test_bare_racks_is_no_command_before_7_1(cluster):
    cluster.node('h1', build='7.0.0.3')
    cluster.node('h2', build='7.1.0.0')
    assert cluster.asinfo('h1', '-v', 'racks') == ("Error: Invalid command 'racks'\n", 1)
    assert cluster.asinfo('h1', '-v', 'roster') == ("Error: Invalid command 'roster'\n", 1)
    assert cluster.value('h2', 'racks') == cluster.value('h2', 'racks:') == 'ns=test:rack_0=%s' % hexes(
        cluster, 'h1', 'h2')


def test_ap_roster_is_null_with_observed_nodes_and_their_racks(cluster):
    racked(cluster, [1, 1, 2, 0], namespaces=('test', 'bar'))
    observed = sorted([(cluster.hex(n), rack) for n, rack in zip(SIX, (1, 1, 2, 0))],
                      key=lambda pair: int(pair[0], 16), reverse=True)
    listed = ','.join(node + ('@%d' % rack if rack else '') for node, rack in observed)
    row = 'roster=null:pending_roster=null:observed_nodes=' + listed
    assert cluster.value('h1', 'roster:namespace=test') == row
    assert cluster.value('h2', 'roster:') == 'ns=test:%s;ns=bar:%s' % (row, row)


def test_sc_roster_set_then_recluster_and_roster_racks(cluster):
    racked(cluster, [1, 1, 2, 2], build='7.2.0.1', sc=True)
    h = dict((node, cluster.hex(node)) for node in SIX[:4])
    assert field(cluster.value('h1', 'namespace/test'), 'unavailable_partitions') == '4096'  # no roster yet
    observed = cluster.value('h1', 'roster:namespace=test').split('observed_nodes=')[1]
    assert cluster.value('h3', 'roster-set:namespace=test;nodes=' + observed) == 'ok'
    assert cluster.value('h1', 'roster:namespace=test') == 'roster=null:pending_roster=%s:observed_nodes=%s' % (
        observed, observed)
    assert sorted(cluster.value(node, 'recluster:') for node in SIX[:4]).count('ok') == 1
    assert cluster.value('h2', 'roster:namespace=test') == 'roster=%s:pending_roster=%s:observed_nodes=%s' % (
        observed, observed, observed)
    assert field(cluster.value('h1', 'namespace/test'), 'unavailable_partitions') == '0'
    rows = 'rack_1=%s:rack_2=%s' % (hexes(cluster, 'h1', 'h2'), hexes(cluster, 'h3', 'h4'))
    assert cluster.value('h4', 'racks:namespace=test') == '%s:roster_%s' % (rows, rows.replace(':', ':roster_'))
    cluster.stop('h4')  # the roster keeps listing it; the live racks do not
    assert cluster.value('h1', 'racks:') == 'ns=test:rack_1=%s:rack_2=%s:roster_%s' % (
        hexes(cluster, 'h1', 'h2'), h['h3'], rows.replace(':', ':roster_'))
    assert cluster.asinfo('h1', '-v', 'roster-set:namespace=test;nodes=XYZ@1') == ('ERROR:4:bad nodes\n', 1)


def test_sc_unavailable_partitions_override_while_a_roster_node_is_away(cluster):
    racked(cluster, [1, 1, 2, 2], build='7.2.0.1', sc=True)
    observed = cluster.value('h1', 'roster:namespace=test').split('observed_nodes=')[1]
    cluster.value('h1', 'roster-set:namespace=test;nodes=' + observed)
    assert sorted(cluster.value(node, 'recluster:') for node in SIX[:4]).count('ok') == 1
    assert field(cluster.value('h1', 'namespace/test', ASD_SIM_SC_UNAVAILABLE='17'), 'unavailable_partitions') == '0'
    cluster.stop('h3')
    cluster.stop('h4')
    ns = cluster.value('h1', 'namespace/test', ASD_SIM_SC_UNAVAILABLE='17')
    assert (field(ns, 'unavailable_partitions'), field(ns, 'dead_partitions')) == ('17', '0')
    assert cluster.value('h1', 'cluster-stable:', ASD_SIM_SC_UNAVAILABLE='17') == 'ERROR:7:unstable cluster'
    with open(os.path.join(cluster.path, 'config.json'), 'w') as handle:
        json.dump({'migration_seconds': 0, 'sc_unavailable': 5}, handle)  # cluster-wide, from the controller
    assert field(cluster.value('h2', 'namespace/test'), 'unavailable_partitions') == '5'
    with open(os.path.join(cluster.path, 'config.json'), 'w') as handle:
        json.dump({'migration_seconds': 0}, handle)
    assert re.match('^[0-9A-F]+$', cluster.value('h1', 'cluster-stable:'))  # a whole rack of RF 2 leaves a copy


# ----------------------------------------------------------------------------------------------
# namespace/<ns>, get-config, set-config, quiesce

def test_effective_replication_factor_and_quiesce_count(cluster):
    racked(cluster, [1, 1, 2, 2, 3, 3], rf=3)
    cluster.node('h6', namespace_config={'test': {'rack-id': 3, 'replication-factor': 2}})
    assert field(cluster.value('h1', 'namespace/test'), 'effective_replication_factor') == '2'  # lowest RF
    for node in ('h5', 'h6'):
        assert cluster.value(node, 'quiesce:') == 'ok'
        assert field(cluster.value(node, 'namespace/test'), 'pending_quiesce') == 'true'
    assert [field(cluster.value(node, 'namespace/test'), 'nodes_quiesced') for node in SIX] == ['0'] * 6
    replies = [cluster.value(node, 'recluster:') for node in SIX]
    assert sorted(replies) == ['ignored-by-non-principal'] * 5 + ['ok']
    rows = [cluster.value(node, 'namespace/test') for node in SIX]
    assert [field(ns, 'nodes_quiesced') for ns in rows] == ['2'] * 6
    assert [field(ns, 'effective_is_quiesced') for ns in rows] == ['false'] * 4 + ['true'] * 2
    assert [field(ns, 'ns_cluster_size') for ns in rows] == ['6'] * 6
    cluster.stop('h4')
    # Active nodes: h1-h3 (h4 gone, h5 and h6 quiesced), so min(3 active, lowest RF 2).
    assert field(cluster.value('h1', 'namespace/test'), 'effective_replication_factor') == '2'
    cluster.stop('h3')
    assert field(cluster.value('h1', 'namespace/test'), 'effective_replication_factor') == '2'
    cluster.stop('h2')
    assert field(cluster.value('h1', 'namespace/test'), 'effective_replication_factor') == '1'


def test_rack_id_set_config_shows_in_racks_after_the_next_rebalance(cluster):
    racked(cluster, [1, 1, 2], build='7.2.0.1')
    before = cluster.value('h1', 'racks:namespace=test')
    assert cluster.value('h3', 'set-config:context=namespace;id=test;rack-id=3') == 'ok'
    assert field(cluster.value('h3', 'get-config:context=namespace;id=test'), 'rack-id') == '3'
    assert field(cluster.value('h3', 'namespace/test'), 'rack-id') == '3'
    assert cluster.value('h1', 'racks:namespace=test') == before
    assert sorted(cluster.value(node, 'recluster:') for node in SIX[:3]).count('ok') == 1
    assert cluster.value('h2', 'racks:namespace=test') == 'rack_1=%s:rack_3=%s' % (
        hexes(cluster, 'h1', 'h2'), cluster.hex('h3'))
    cluster.node('h3', build='7.2.0.1', namespace_config={'test': {'rack-id': 2}})  # a restart reads the conf again
    assert cluster.value('h2', 'racks:namespace=test') == before
    assert cluster.value('h3', 'set-config:context=namespace;id=test;rack-id=1000001') == 'ERROR:4:invalid parameter'
    assert cluster.value('h3', 'set-config:context=namespace;id=nope;rack-id=1') == (
        'ERROR:20:namespace not found on node')


def test_config_contexts_and_migrate_fill_delay_per_band(cluster):
    racked(cluster, [1, 2], build='6.4.0.2', rf=3)
    cluster.node('h3', build='7.2.0.1')
    assert cluster.value('h1', 'get-config:context=namespace;id=test') == (
        'replication-factor=3;rack-id=1;strong-consistency=false;index-type=shmem;sindex-type=shmem;'
        'storage-engine=memory;stay-quiesced=false')
    assert field(cluster.value('h3', 'get-config:context=service'), 'migrate-fill-delay') == '0'
    assert cluster.value('h1', 'set-config:context=service;migrate-fill-delay=600') == 'ok'
    assert [field(cluster.value(node, 'get-config:context=service'), 'migrate-fill-delay')
            for node in ('h1', 'h2', 'h3')] == ['600'] * 3
    assert cluster.asinfo('h1', '-v', 'get-config') == ("Error: Invalid command 'get-config'\n", 1)
    assert cluster.value('h1', 'set-config:context=service;migrate-fill-delay=soon') == 'error'
    assert cluster.value('h3', 'set-config:context=service;migrate-fill-delay=soon') == 'ERROR:4:invalid parameter'
    assert cluster.value('h3', 'get-config:context=namespace;id=') == "ERROR:20:missing 'id' value"


# ----------------------------------------------------------------------------------------------
# placement and copies (racks.md section 2)

def test_placement_puts_copies_on_distinct_racks():
    racks = dict(zip(SIX, (1, 1, 2, 2, 3, 3)))
    table = asinfo_sim.placement('test', racks, 2)
    assert len(table) == 4096 and all(len(set(racks[node] for node in replicas)) == 2 for replicas in table)
    assert asinfo_sim.placement('test', racks, 2) is table  # cached
    for gone in ({'h1', 'h2'}, {'h3', 'h4'}, {'h5', 'h6'}):  # one whole rack: a copy of everything is left
        assert min(len(set(replicas) - gone) for replicas in table) == 1
    assert min(len(set(replicas) - {'h1', 'h2', 'h3', 'h4'}) for replicas in table) == 0  # two racks: not
    masters = [replicas[0] for replicas in table]
    assert all(600 < masters.count(node) < 780 for node in SIX), 'masters spread evenly'
    two = dict(zip(SIX, (1, 1, 1, 2, 2, 2)))
    assert all(len(set(two[node] for node in replicas)) == 2 for replicas in asinfo_sim.placement('t', two, 3))
    quiet = asinfo_sim.placement('test', racks, 2, ['h5'])
    assert not any('h5' in replicas for replicas in quiet), 'quiesced nodes take no new copies'
    assert all(len(replicas) == 2 for replicas in asinfo_sim.placement('test', {'h1': 0, 'h2': 0}, 3))


def test_copies_follow_the_settled_placement(tmp_path):
    cluster = FakeCluster(str(tmp_path / 'cluster'), migration_seconds=30)
    try:
        racked(cluster, [1, 1, 2, 2, 3, 3])
        live, copies = asinfo_sim.sample(cluster.path)
        assert live == list(SIX) and copies == {'test': {'min_copies': 2, 'zero': 0, 'replication_factor': 2}}
        cluster.stop('h5')
        cluster.stop('h6')
        assert asinfo_sim.sample(cluster.path)[1]['test']['min_copies'] == 1
        cluster.stop('h3')
        copies = asinfo_sim.sample(cluster.path)[1]['test']
        assert copies['min_copies'] == 0 and copies['zero'] > 0
        cluster.node('h3', namespace_config={'test': {'rack-id': 2}})  # warm restart: its data is back
        cluster.node('h5', namespace_config={'test': {'rack-id': 3}})
        cluster.node('h6', namespace_config={'test': {'rack-id': 3}})
        assert asinfo_sim.sample(cluster.path)[1]['test']['min_copies'] == 2
        # Once migrations after the stop are done, the survivors hold two copies again.
        state = json.load(open(os.path.join(cluster.path, 'state.json')))
        assert len(state['layouts']) >= 2
        cluster.stop('h1')
        assert asinfo_sim.sample(cluster.path, migration_seconds=0)[1]['test']['min_copies'] == 2
    finally:
        cluster.close()


# ----------------------------------------------------------------------------------------------
# the watcher (sim/fleet.py watch-start / watch-stop)

FLEET = os.path.join(os.path.dirname(SIM), 'fleet.py')


def watch(fleet_dir, action, *extra):
    proc = subprocess.run([sys.executable, FLEET, action, '--dir', fleet_dir] + list(extra), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


fleet_sim = load('fleet_for_racks', FLEET)


def test_fleet_topology_racks_and_aerospike_conf():
    assert fleet_sim.rack_map(6, 3) == [1, 1, 2, 2, 3, 3] and fleet_sim.rack_map(5, 3) == [1, 1, 2, 2, 3]
    plan = fleet_sim.topology(6, ['test', 'bar'], racks=3, replication_factor=3, rack_ids={'bar': [1, 2, 3, 1, 2, 3]})
    assert plan == {'edition': 'enterprise', 'namespaces': {
        'test': {'racks': [1, 1, 2, 2, 3, 3], 'replication_factor': 3, 'strong_consistency': False},
        'bar': {'racks': [1, 2, 3, 1, 2, 3], 'replication_factor': 3, 'strong_consistency': False}}}
    with open(os.path.join(HOST, 'etc', 'aerospike', 'aerospike.conf')) as handle:
        conf = fleet_sim.with_namespaces(handle.read(), fleet_sim.namespace_stanzas(plan, 2))
    module = load('asd_sim_for_fleet', SIM)
    assert module.config_namespaces(conf) == {'test': {'replication-factor': 3, 'rack-id': 2, 'strong-consistency': False},
                                              'bar': {'replication-factor': 3, 'rack-id': 3, 'strong-consistency': False}}
    assert module.config_log_sinks(conf) == [module.CONSOLE] and conf.count('\nnamespace ') == 2
    assert fleet_sim.parse_rack_ids('bar=1,0,2') == ('bar', [1, 0, 2])
    for wrong, message in (({'racks': 7}, 'give 1 to 6'), ({'rack_ids': {'foo': [1] * 6}}, 'not a --namespace'),
                           ({'rack_ids': {'test': [1, 2]}}, '2 rack-ids for 6 hosts'),
                           ({'racks': 2, 'edition': 'community'}, 'Community Edition refuses')):
        with pytest.raises(fleet_sim.FleetError, match=message):
            fleet_sim.topology(6, ['test'], **wrong)
    assert os.access(FLEET, os.X_OK)
    assert subprocess.run([FLEET, '--help'], stdout=subprocess.PIPE, check=False).returncode == 0


def test_watcher_reports_the_fewest_copies_and_when(tmp_path):
    fleet_dir = str(tmp_path / 'fleet')
    cluster = FakeCluster(os.path.join(fleet_dir, 'cluster'), migration_seconds=30)
    try:
        racked(cluster, {'test': [1, 1, 2, 2, 3, 3]}, namespaces=('test', 'bar'))
        watch(fleet_dir, 'watch-start', '--interval', '0.05')
        pid = int(open(os.path.join(fleet_dir, 'watch.pid')).read())
        time.sleep(0.3)
        began = time.time()
        cluster.stop('h3')
        cluster.stop('h4')
        time.sleep(0.3)
        cluster.node('h3', namespaces=('test', 'bar'), namespace_config={'test': {'rack-id': 2}})
        cluster.node('h4', namespaces=('test', 'bar'), namespace_config={'test': {'rack-id': 2}})
        time.sleep(0.3)
        report = json.loads(watch(fleet_dir, 'watch-stop'))
        assert not os.path.exists('/proc/%d' % pid) or 'watch' not in open('/proc/%d/cmdline' % pid).read()
        again = int(watch(fleet_dir, 'watch-start').split('pid ')[1].rstrip(')\n'))
        watch(fleet_dir, 'down', '--purge')  # down stops the fleet's watcher before removing its folder
        assert not os.path.exists(fleet_dir) and fleet_sim._wait_gone([again], 5)  # pylint: disable=protected-access
    finally:
        cluster.close()
    assert report['min_copies'] == 0 and report['samples'] > 5 and report['interval'] == 0.05
    other, test = report['namespaces']['bar'], report['namespaces']['test']
    assert (test['min_copies'], test['replication_factor'], test['live']) == (1, 2, ['h1', 'h2', 'h5', 'h6'])
    assert began <= test['at'] <= began + 0.6 and test['samples'] == report['samples']
    assert other['min_copies'] == 0  # every node is rack 0 there: two nodes out can take both copies


# ----------------------------------------------------------------------------------------------
# real asd processes: aerospike.conf's namespace stanzas and ASD_SIM_EDITION reach asinfo

def conf_with(*stanzas):
    return CONSOLE_CONF + ''.join('namespace %s {\n%s\tstorage-engine memory {\n\t\tdata-size 4G\n\t}\n}\n'
                                  % (name, body) for name, body in stanzas)


def test_config_namespaces_reads_the_settings_asinfo_needs():
    module = load('asd_sim_for_racks', SIM)
    text = conf_with(('test', '\treplication-factor 3\n\track-id 7 # the rack\n\tstrong-consistency true\n'),
                     ('bar', '\tindex-type flash {\n\t\track-id 9\n\t}\n'))
    assert module.config_namespaces(text) == {
        'test': {'replication-factor': 3, 'rack-id': 7, 'strong-consistency': True},
        'bar': {'replication-factor': 2, 'rack-id': 0, 'strong-consistency': False}}
    with open(os.path.join(HOST, 'etc', 'aerospike', 'aerospike.conf')) as handle:
        assert module.config_namespaces(handle.read()) == {
            'test': {'replication-factor': 2, 'rack-id': 0, 'strong-consistency': False}}
    for bad, message in (('\track-id 1000001\n', 'line 7 :: rack-id must be an integer from 0 to 1000000'),
                         ('\tstrong-consistency yes\n', 'line 7 :: strong-consistency must be true or false')):
        with pytest.raises(module.SimError, match=message):
            module.config_namespaces(conf_with(('test', bad)))
    with pytest.raises(module.SimError, match=r'^line 7 :: rack-id is enterprise-only$'):
        module.config_namespaces(conf_with(('test', '\track-id 1\n')), 'community')
    assert module.config_namespaces(conf_with(('test', '\treplication-factor 1\n')), 'community')['test'][
        'replication-factor'] == 1


def test_asd_publishes_its_namespace_settings_and_asinfo_answers_racks(sim, asd, tmp_path):
    cluster = str(tmp_path / 'cluster')
    servers = []
    for instance, (rack, bar_rack) in enumerate(((1, 2), (1, 0), (2, 0))):
        sim.ok('create', '--instance', str(instance), '--namespace', 'test', '--namespace', 'bar', '--size', '1M')
        conf = write(tmp_path / ('h%d.conf' % instance), conf_with(
            ('test', '\track-id %d\n' % rack), ('bar', '\treplication-factor 3\n\track-id %d\n' % bar_rack)))
        servers.append(asd(conf, options=['--instance', str(instance)], ASD_SIM_STATE=sim.state_dir,
                           ASD_SIM_CLUSTER_DIR=cluster, ASD_SIM_NODE_ID='h%d' % (instance + 1)))
    for server in servers:
        server.wait_for('service ready')
    with open(os.path.join(cluster, 'nodes', 'h1.json')) as handle:
        node = json.load(handle)
    assert node['edition'] == 'enterprise' and node['namespace_config'] == {
        'test': {'replication-factor': 2, 'rack-id': 1, 'strong-consistency': False},
        'bar': {'replication-factor': 3, 'rack-id': 2, 'strong-consistency': False}}
    done = subprocess.run([sys.executable, ASINFO, '-v', 'racks:'], stdout=subprocess.PIPE, universal_newlines=True,
                          env=sim.env(ASD_SIM_CLUSTER_DIR=cluster, ASD_SIM_NODE_ID='h2'), check=False)
    hexes_ = dict((node, asinfo_sim.node_hex(node)) for node in ('h1', 'h2', 'h3'))
    assert (done.stdout, done.returncode) == ('ns=test:rack_1=%s:rack_2=%s;ns=bar:rack_0=%s:rack_2=%s\n' % (
        ','.join(sorted([hexes_['h1'], hexes_['h2']])), hexes_['h3'], ','.join(sorted([hexes_['h2'], hexes_['h3']])),
        hexes_['h1']), 0)
    for server in servers:
        assert server.finish()[0] == 0


def test_community_asd_refuses_rack_id_and_says_community(sim, asd, tmp_path):
    sim.ok('create', '--namespace', 'test', '--size', '1M')
    refused = subprocess.run([sys.executable, SIM, '--config-file', write(tmp_path / 'rack.conf', conf_with(
        ('test', '\track-id 1\n'))), '--fgdaemon'], stderr=subprocess.PIPE, universal_newlines=True,
        env=sim.env(ASD_SIM_STATE=sim.state_dir, ASD_SIM_EDITION='community'), check=False)
    assert (refused.returncode, refused.stderr) == (1, 'asd: line 7 :: rack-id is enterprise-only\n')
    cluster = str(tmp_path / 'cluster')
    server = asd(write(tmp_path / 'plain.conf', conf_with(('test', ''))), ASD_SIM_STATE=sim.state_dir,
                 ASD_SIM_EDITION='community', ASD_SIM_CLUSTER_DIR=cluster, ASD_SIM_NODE_ID='h1')
    assert '<><><><><><><><><><>  Aerospike Community Edition build 7.1.0.0' in server.wait_for('service ready')
    with open(os.path.join(cluster, 'nodes', 'h1.json')) as handle:
        assert json.load(handle)['edition'] == 'community'
    assert server.finish()[0] == 0
