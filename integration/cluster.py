"""The cluster fault suite's own three-node Kafka (devstack/cluster.sh, in .local/cluster-it):
start and stop it, read partition leaders and ISRs, and kill, pause or restart one node."""

import asyncio
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from harness.processes import ROOT, free_port
from harness.waiting import eventually
from shared.kafka import client_kwargs
from shared.settings import KafkaSettings

NODES = (1, 2, 3)
SCRIPT = ROOT / "devstack" / "cluster.sh"


@dataclass(frozen=True)
class Partition:
    leader: int  # -1 while it has none
    isr: tuple[int, ...]


def _ports() -> tuple[list[int], list[int]]:
    """CLUSTER_IT_PORTS ("p1 p2 p3", controllers on each + 1) or six ports free right now."""
    configured = os.environ.get("CLUSTER_IT_PORTS")
    if configured:
        ports = [int(port) for port in configured.split()]
        return ports, [port + 1 for port in ports]
    free: set[int] = set()
    while len(free) < 6:
        free.add(free_port())
    ordered = sorted(free)
    return ordered[:3], ordered[3:]


class Cluster:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.ports, self.controller_ports = _ports()
        self.bootstrap = ",".join(f"localhost:{port}" for port in self.ports)
        self.settings = KafkaSettings(kafka_broker=self.bootstrap)

    def _script(self, *args: str) -> None:
        env = {
            **os.environ,
            "CLUSTER_HOME": str(self.home),
            "CLUSTER_PORTS": " ".join(map(str, self.ports)),
            "CLUSTER_CONTROLLER_PORTS": " ".join(map(str, self.controller_ports)),
        }
        subprocess.run(["bash", str(SCRIPT), *args], env=env, check=True, timeout=240)

    def start(self) -> None:
        self._script("start")

    def stop(self) -> None:
        for node in NODES:
            self.resume(node)  # a paused JVM cannot act on SIGTERM
        self._script("stop")

    def pid(self, node: int) -> int | None:
        path = self.home / "run" / f"node{node}.pid"
        return int(path.read_text()) if path.exists() else None

    def alive(self, node: int) -> bool:
        pid = self.pid(node)
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    async def kill(self, node: int) -> None:
        """kill -9, and wait until the process is gone."""
        self._signal(node, signal.SIGKILL)

        async def dead() -> bool:
            return not self.alive(node)

        await eventually(dead, 30, f"node {node} to die")

    def pause(self, node: int) -> None:
        self._signal(node, signal.SIGSTOP)

    def resume(self, node: int) -> None:
        if self.alive(node):
            self._signal(node, signal.SIGCONT)

    async def stop_node(self, node: int) -> None:
        """SIGTERM: a controlled shutdown, leaderships handed over first."""
        await asyncio.to_thread(self._script, "stop-node", str(node))

    async def start_node(self, node: int) -> None:
        await asyncio.to_thread(self._script, "start-node", str(node))

    def _signal(self, node: int, signum: signal.Signals) -> None:
        pid = self.pid(node)
        assert pid is not None, f"node {node} was never started"
        os.kill(pid, signum)

    async def partitions(self, topic: str) -> list[Partition] | None:
        """Leaders and ISRs of `topic` as the cluster reports them; None while it cannot."""
        admin = AIOKafkaAdminClient(
            **client_kwargs(self.settings, "tests"), request_timeout_ms=5000
        )
        try:
            async with asyncio.timeout(10):  # a paused node accepts connections, answers nothing
                await admin.start()
                (described,) = await admin.describe_topics([topic])
        except (KafkaError, TimeoutError):
            return None
        finally:
            await admin.close()
        return [Partition(p["leader"], tuple(p["isr"])) for p in described["partitions"]]

    async def busiest_leader(self, topic: str) -> int:
        """The node that leads the most partitions of `topic`."""
        partitions = await eventually(lambda: self.partitions(topic), 60, f"{topic}'s leaders")
        leaders = [p.leader for p in partitions if p.leader in NODES]
        return max(NODES, key=leaders.count)

    async def in_sync(self, *topics: str, timeout: float = 120) -> None:
        """Until every node runs and every partition of `topics` has all three in its ISR."""
        for node in NODES:
            self.resume(node)
            if not self.alive(node):
                await self.start_node(node)

        async def complete() -> bool:
            for topic in topics:
                partitions = await self.partitions(topic)
                if not partitions or any(len(p.isr) < len(NODES) for p in partitions):
                    return False
            return True

        await eventually(complete, timeout, f"every replica of {', '.join(topics)} in sync")
