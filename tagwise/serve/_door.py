"""The cheapest refusal: answer 503 from uvicorn's HTTP protocol, before any ASGI machinery runs.

Under overload most requests are refused, so what a refusal costs decides how much of the
server's CPU is left for the requests it serves. Through ASGI a refusal still pays for a
request cycle object, an asyncio task, the middleware call and the response events — a third of
what serving the MLP costs in ``benchmarks/serve.py``. Here the refusal is decided when the
request's headers are parsed (by httptools, in C) and written to the socket at once; the body is
parsed and dropped. Anything unusual (pipelined requests, HTTP upgrades, a uvicorn whose protocol
class lacks what this relies on) takes the normal path, where :class:`Admission` decides.
"""

from __future__ import annotations

from tagwise.serve._guard import LoadState, echoed_request_id, shed_body

__all__ = ["shedding_protocol"]


class _NoEvent:
    def set(self) -> None:
        pass


class _Refused:
    """Stands in for the request cycle of a refused request: its body is dropped on arrival, and
    uvicorn's connection bookkeeping (``connection_lost``, ``shutdown``) finds what it reads."""

    response_complete = True
    disconnected = False
    keep_alive = True
    more_body = False
    message_event = _NoEvent()


def shedding_protocol(load: LoadState, path: bytes = b"/v1/predict") -> type | None:
    """A uvicorn HTTP protocol class (httptools) that refuses ``POST path`` when ``load`` says so;
    None when httptools or the expected uvicorn internals are missing (the caller keeps
    uvicorn's own)."""
    try:
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
    except ImportError:
        return None
    needed = ("on_headers_complete", "on_response_complete", "_should_upgrade")
    if not all(hasattr(HttpToolsProtocol, name) for name in needed):  # pragma: no cover
        return None

    class SheddingProtocol(HttpToolsProtocol):  # type: ignore[misc]
        def on_headers_complete(self) -> None:
            cycle = getattr(self, "cycle", None)
            if (
                (cycle is not None and not cycle.response_complete)  # pipelined: keep order
                or self.parser.get_method() != b"POST"
                or self.url.split(b"?", 1)[0] != path
                or self.parser.should_upgrade()
            ):
                super().on_headers_complete()
                return
            why = load.refusal()
            if why is None:
                super().on_headers_complete()
                return
            self._refuse(why)

        def _refuse(self, why: str) -> None:
            body = shed_body(why)
            keep_alive = self.parser.should_keep_alive()
            lines: list[bytes] = [STATUS_LINE[503]]
            for name, value in self.server_state.default_headers:
                lines += [name, b": ", value, b"\r\n"]
            rid = echoed_request_id(self.headers)
            if rid is not None:
                lines += [b"x-request-id: ", rid, b"\r\n"]
            lines += [
                b"content-type: application/json\r\nretry-after: 1\r\n",
                b"content-length: ",
                str(len(body)).encode(),
                b"\r\n",
                b"" if keep_alive else b"connection: close\r\n",
                b"\r\n",
                body,
            ]
            self.transport.write(b"".join(lines))
            self.cycle = _Refused()  # type: ignore[assignment]  # on_body etc. return at once
            if keep_alive:
                self.on_response_complete()  # counts the request, re-arms keep-alive
            else:
                self.transport.close()

    return SheddingProtocol
