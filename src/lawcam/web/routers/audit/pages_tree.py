"""The auditor's view of the Merkle log: sign a new tree head now, and the inclusion proof of
one entry, checked on the page against the head (RFC 9162 §2.1.3.2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from lawcam.audit import log
from lawcam.authz import Action
from lawcam.web.deps import AuthDep, DatabaseDep, SessionDep
from lawcam.web.forms import flash_redirect, parse_int, render

router = APIRouter(include_in_schema=False)


@router.post("/audit/sth", response_class=HTMLResponse)
def sign_head(request: Request, auth: AuthDep, session: SessionDep) -> Response:
    auth.actor.require(Action.AUDIT_READ)
    head = log.make_head(session=session, signer=request.app.state.signer.current())
    return flash_redirect(
        request, "/audit", f"已签发树头：大小 {head.size}，根哈希 {head.root[:16]}…"
    )


@router.get("/audit/proof", response_class=HTMLResponse)
def proof_page(
    request: Request,
    auth: AuthDep,
    database: DatabaseDep,
    session: SessionDep,
    leaf: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    auth.actor.require(Action.AUDIT_READ)
    index = parse_int(leaf, "叶序号", field="leaf", required=True)
    assert index is not None
    head = log.head_covering(database, request.app.state.signer.current(), index)
    proof = log.inclusion_proof(session=session, actor=auth.actor, leaf_index=index, size=head.size)
    verified, reason = log.proof_holds(proof, head.root)
    return render(
        request, "audit_proof.html", auth, proof=proof, head=head, verified=verified, reason=reason
    )
