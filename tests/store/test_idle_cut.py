"""An idle connection's socket tells whether the server closed it while nobody was using it."""

from __future__ import annotations

import os
import resource
import socket

import pytest

from shoal.store.backend import _cut_while_idle


class _Conn:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def fileno(self) -> int:
        return self.fd


@pytest.mark.parametrize("high", [False, True])
def test_an_idle_socket_reads_as_cut_only_once_the_peer_has_spoken(high: bool) -> None:
    """Also above FD_SETSIZE (1,024), where select() refuses the descriptor and every idle
    connection would otherwise have been taken for cut."""
    ours, peer = socket.socketpair()
    fd = ours.fileno()
    if high:
        if resource.getrlimit(resource.RLIMIT_NOFILE)[0] <= 1500:
            pytest.skip("the open-file limit is too low for a descriptor above 1,024")
        fd = os.dup2(ours.fileno(), 1500)
    try:
        assert not _cut_while_idle(_Conn(fd))
        peer.close()  # the server's goodbye: end of stream
        assert _cut_while_idle(_Conn(fd))
    finally:
        if high:
            os.close(fd)
        ours.close()
