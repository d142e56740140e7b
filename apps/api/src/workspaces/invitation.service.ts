import { Injectable } from '@nestjs/common';
import type {
  TAcceptInvitationResponse,
  TCreatedInvitation,
  TInvitation,
  TInvitationPreview,
  TWorkspaceRole,
} from '@bastion/contracts';
import { randomUUID } from 'node:crypto';
import { AuditContext, AuditService } from '../audit/audit.service';
import { AuthErrorCode, AuthException } from '../auth/auth.exception';
import { AuthService } from '../auth/auth.service';
import type { RequestMeta } from '../auth/request-context';
import { SessionService } from '../auth/session.service';
import { csrfTokenMatches } from '../auth/session-token';
import { UserEntity } from '../auth/user.entity';
import { UserRepository } from '../auth/user.repository';
import { MetadataTransactions } from '../database/metadata-transactions';
import { InvitationEntity } from './invitation.entity';
import { InvitationRepository } from './invitation.repository';
import {
  INVITATION_TTL_MS,
  invitationTokenHash,
  isInvitationTokenShaped,
  newInvitationToken,
} from './invitation-token';
import { MembershipEntity } from './membership.entity';
import { WorkspaceEntity } from './workspace.entity';
import { WorkspaceErrorCode, WorkspaceException } from './workspace.exception';
import { WorkspaceRepository } from './workspace.repository';

/** The caller of the public accept route: its session cookie and CSRF header, if any. */
export interface InvitationCaller {
  sessionToken: string | undefined;
  csrfHeader: string | undefined;
  meta: RequestMeta;
}

/** What accept did: the answer, and a new session to set as cookie when it created an account. */
export interface AcceptedInvitation {
  response: TAcceptInvitationResponse;
  newSession: { token: string; expiresAt: Date } | null;
}

/**
 * Workspace invitations (README.md in this folder). Members join only through a single-use
 * link: nobody chooses another person's password, an existing account joins only while signed
 * in as itself with the link, and no answer to an admin tells whether an account exists.
 * Tokens: 256 random bits, stored as SHA-256, shown once (create and resend).
 */
@Injectable()
export class InvitationService {
  constructor(
    private readonly invitations: InvitationRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly users: UserRepository,
    private readonly auth: AuthService,
    private readonly sessions: SessionService,
    private readonly transactions: MetadataTransactions,
    private readonly audit: AuditService,
  ) {}

  /**
   * Invites `email` with `role`: a new invitation whose link is in the answer (only there). A
   * pending invitation of the same email in this workspace is revoked (one live link per
   * email). The answer has the same shape whether or not an account exists for the email.
   * @param origin the public origin the link starts with (`https://host`).
   * @throws WorkspaceException AlreadyMember (409): the email's account is a member already
   *   (admins see their members list, so this tells them nothing new)
   */
  async create(
    workspaceId: string,
    email: string,
    role: TWorkspaceRole,
    origin: string,
    audit: AuditContext,
  ): Promise<TCreatedInvitation> {
    const normalized = email.trim().toLowerCase();
    const account = await this.users.findByEmail(normalized);
    if (account && (await this.workspaces.findMembership(workspaceId, account.id))) {
      throw new WorkspaceException(
        WorkspaceErrorCode.AlreadyMember,
        'email: this person is already a member of this workspace',
      );
    }
    const now = new Date();
    const { token, tokenHash } = newInvitationToken();
    const invitation = Object.assign(new InvitationEntity(), {
      id: randomUUID(),
      workspaceId,
      email: normalized,
      role,
      tokenHash,
      invitedBy: audit.actor?.userId ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      acceptedAt: null,
      acceptedBy: null,
      revokedAt: null,
    });
    await this.transactions.transaction(async (manager) => {
      // Lock the workspace row first (no-op UPDATE), so two concurrent invites of one email
      // run one after the other and leave one live link (SQLite: one transaction at a time).
      await manager.update(WorkspaceEntity, { id: workspaceId }, { id: workspaceId });
      await this.invitations.revokePendingFor(workspaceId, normalized, now, manager);
      await this.invitations.insert(workspaceId, invitation, manager);
    });
    await this.audit.record({
      action: 'invitation.created',
      ...audit,
      workspaceId,
      target: { type: 'invitation', id: invitation.id },
      details: { email: normalized, role, expiresAt: invitation.expiresAt.toISOString() },
    });
    return this.created(invitation, origin, token);
  }

  /** The workspace's pending invitations (expired ones too, marked), newest first; no token. */
  async list(workspaceId: string): Promise<TInvitation[]> {
    const now = Date.now();
    return (await this.invitations.listPending(workspaceId)).map((i) => ({
      id: i.id,
      email: i.email,
      role: i.role,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
      expired: i.expiresAt.getTime() <= now,
    }));
  }

  /**
   * A new link for a pending invitation (expired ones too): new token, new expiry; the old link
   * is dead at once.
   * @throws WorkspaceException InvitationNotFound (404): not pending, or another workspace's
   */
  async resend(
    workspaceId: string,
    id: string,
    origin: string,
    audit: AuditContext,
  ): Promise<TCreatedInvitation> {
    const found = await this.invitations.findPending(workspaceId, id);
    if (!found) throw this.notFound();
    const { token, tokenHash } = newInvitationToken();
    const expiresAt = new Date(Date.now() + INVITATION_TTL_MS);
    if (!(await this.invitations.replaceToken(workspaceId, id, tokenHash, expiresAt))) {
      throw this.notFound();
    }
    await this.audit.record({
      action: 'invitation.resent',
      ...audit,
      workspaceId,
      target: { type: 'invitation', id },
      details: { email: found.email, role: found.role, expiresAt: expiresAt.toISOString() },
    });
    return this.created({ ...found, expiresAt }, origin, token);
  }

  /**
   * Revokes a pending invitation; its link answers 410 from now on.
   * @throws WorkspaceException InvitationNotFound (404): not pending, or another workspace's
   */
  async revoke(workspaceId: string, id: string, audit: AuditContext): Promise<void> {
    const found = await this.invitations.findPending(workspaceId, id);
    if (!found || !(await this.invitations.revoke(workspaceId, id, new Date()))) {
      throw this.notFound();
    }
    await this.audit.record({
      action: 'invitation.revoked',
      ...audit,
      workspaceId,
      target: { type: 'invitation', id },
      details: { email: found.email, role: found.role },
    });
  }

  /**
   * What a link offers (public): workspace name, role, the invited email and whether an
   * account must be created. Only the link's holder learns whether the invited email has an
   * account (the issue accepts this; the admin's invite answer never says it).
   * @throws WorkspaceException InvitationLinkNotFound (404), InvitationGone (410)
   */
  async preview(token: string): Promise<TInvitationPreview> {
    const invitation = await this.usable(token);
    const workspace = await this.workspaces.findById(invitation.workspaceId);
    if (!workspace) throw this.linkNotFound();
    const account = await this.users.findByEmail(invitation.email);
    return {
      workspaceName: workspace.name,
      role: invitation.role,
      email: invitation.email,
      expiresAt: invitation.expiresAt.toISOString(),
      accountRequired: account === null,
    };
  }

  /**
   * Accepts a link. No account for the invited email: `password` (policy applies) creates it,
   * the membership and a signed-in session, in one transaction with using up the link. An
   * account exists: the caller must be signed in as exactly that account (with the session's
   * `x-csrf-token`) and send no password. The link works once: of concurrent accepts exactly
   * one wins (conditional UPDATE), the others get 410.
   * @throws WorkspaceException InvitationLinkNotFound (404), InvitationGone (410),
   *   PasswordRequired / PasswordNotAccepted (400), InvitationSignInRequired (401),
   *   InvitationWrongAccount (403), AccountCreatedMeanwhile (409);
   *   AuthException WeakPassword (400), CsrfTokenInvalid (403)
   */
  async accept(
    token: string,
    password: string | undefined,
    caller: InvitationCaller,
  ): Promise<AcceptedInvitation> {
    const invitation = await this.usable(token);
    const workspace = await this.workspaces.findById(invitation.workspaceId);
    if (!workspace) throw this.linkNotFound();
    const existing = await this.users.findByEmail(invitation.email);
    const accepted = existing
      ? await this.acceptAsSignedIn(invitation, existing, password, caller)
      : await this.acceptWithNewAccount(invitation, password, caller);
    const actor = { userId: accepted.user.id, email: accepted.user.email };
    if (!existing) {
      // The person's own history ("Recent sign-ins") starts with the account and its session.
      await this.audit.record({
        action: 'auth.account_created',
        actor,
        workspaceId: null,
        target: { type: 'user', id: accepted.user.id },
        meta: caller.meta,
        details: { via: 'invitation' },
      });
    }
    await this.audit.record({
      action: 'invitation.accepted',
      actor,
      workspaceId: invitation.workspaceId,
      target: { type: 'invitation', id: invitation.id },
      meta: caller.meta,
      details: { email: invitation.email, role: accepted.role, accountCreated: !existing },
    });
    if (accepted.joined) {
      await this.audit.record({
        action: 'member.added',
        actor,
        workspaceId: invitation.workspaceId,
        target: { type: 'user', id: accepted.user.id },
        meta: caller.meta,
        details: {
          email: accepted.user.email,
          role: accepted.role,
          accountCreated: !existing,
          invitationId: invitation.id,
        },
      });
    }
    return {
      response: {
        workspaceId: invitation.workspaceId,
        workspaceName: workspace.name,
        role: accepted.role,
        user: {
          id: accepted.user.id,
          email: accepted.user.email,
          twoFactorEnabled: accepted.user.totpEnabled,
        },
        csrfToken: accepted.csrfToken,
      },
      newSession: accepted.newSession,
    };
  }

  private async acceptAsSignedIn(
    invitation: InvitationEntity,
    account: UserEntity,
    password: string | undefined,
    caller: InvitationCaller,
  ) {
    if (password !== undefined) {
      throw new WorkspaceException(
        WorkspaceErrorCode.PasswordNotAccepted,
        'password: not used by this invitation; sign in as the invited email, then accept',
      );
    }
    const session = caller.sessionToken ? await this.sessions.resolve(caller.sessionToken) : null;
    if (!session) {
      throw new WorkspaceException(
        WorkspaceErrorCode.InvitationSignInRequired,
        'Sign in as the invited email to accept this invitation',
      );
    }
    if (!csrfTokenMatches(session.csrfToken, caller.csrfHeader)) {
      throw new AuthException(
        AuthErrorCode.CsrfTokenInvalid,
        'Missing or invalid x-csrf-token header; reload the page and try again',
      );
    }
    if (session.user.id !== account.id) {
      throw new WorkspaceException(
        WorkspaceErrorCode.InvitationWrongAccount,
        'This invitation is for another email; sign in as the invited email to accept it',
      );
    }
    const { role, joined } = await this.transactions.transaction(async (manager) => {
      if (
        !(await this.invitations.markAccepted(
          manager,
          invitation.workspaceId,
          invitation.id,
          account.id,
          new Date(),
        ))
      ) {
        throw this.gone('was already used or revoked');
      }
      const current = await manager.findOneBy(MembershipEntity, {
        workspaceId: invitation.workspaceId,
        userId: account.id,
      });
      // Already a member (joined another way meanwhile): the link is used, the role stays.
      if (current) return { role: current.role, joined: false };
      await this.workspaces.insertMembership(
        invitation.workspaceId,
        this.membership(invitation, account.id),
        manager,
      );
      return { role: invitation.role, joined: true };
    });
    return { user: account, role, joined, csrfToken: session.csrfToken, newSession: null };
  }

  private async acceptWithNewAccount(
    invitation: InvitationEntity,
    password: string | undefined,
    caller: InvitationCaller,
  ) {
    if (password === undefined) {
      throw new WorkspaceException(
        WorkspaceErrorCode.PasswordRequired,
        'password: is required to create your account',
      );
    }
    // Policy and argon2 outside the transaction (SQLite: one connection for every request).
    const user = await this.auth.newUser(invitation.email, password);
    const createdMeanwhile = () =>
      new WorkspaceException(
        WorkspaceErrorCode.AccountCreatedMeanwhile,
        'An account with the invited email was created meanwhile; sign in as it and open the link again',
      );
    await this.transactions
      .transaction(async (manager) => {
        // Use up the link first: a concurrent accept of this link waits on this row and then
        // loses cleanly (410), before it could trip over the unique email inserted here.
        if (
          !(await this.invitations.markAccepted(
            manager,
            invitation.workspaceId,
            invitation.id,
            null,
            new Date(),
          ))
        ) {
          throw this.gone('was already used or revoked');
        }
        if (await this.users.findByEmail(invitation.email, manager)) throw createdMeanwhile();
        await this.users.insert(user, manager);
        await this.invitations.setAcceptedBy(
          manager,
          invitation.workspaceId,
          invitation.id,
          user.id,
        );
        await this.workspaces.insertMembership(
          invitation.workspaceId,
          this.membership(invitation, user.id),
          manager,
        );
      })
      .catch(async (error: unknown) => {
        // Another workspace's invitation created the same email between our check and insert
        // (unique index on users.email): a conflict to name, not a 500.
        if (
          !(error instanceof WorkspaceException) &&
          (await this.users.findByEmail(invitation.email))
        ) {
          throw createdMeanwhile();
        }
        throw error;
      });
    const session = await this.auth.startSession(user.id, {
      ip: caller.meta.ip,
      userAgent: caller.meta.userAgent,
    });
    return {
      user,
      role: invitation.role,
      joined: true,
      csrfToken: session.csrfToken,
      newSession: { token: session.token, expiresAt: session.expiresAt },
    };
  }

  /** The pending, unexpired invitation behind a link's token. */
  private async usable(token: string): Promise<InvitationEntity> {
    if (!isInvitationTokenShaped(token)) throw this.linkNotFound();
    const invitation = await this.invitations.findByTokenHash(invitationTokenHash(token));
    if (!invitation) throw this.linkNotFound();
    if (invitation.acceptedAt) throw this.gone('was already used');
    if (invitation.revokedAt) throw this.gone('was revoked');
    if (invitation.expiresAt.getTime() <= Date.now()) throw this.gone('has expired');
    return invitation;
  }

  private membership(invitation: InvitationEntity, userId: string): MembershipEntity {
    return Object.assign(new MembershipEntity(), {
      workspaceId: invitation.workspaceId,
      userId,
      role: invitation.role,
      createdAt: new Date(),
    });
  }

  private created(
    invitation: Pick<InvitationEntity, 'id' | 'email' | 'role' | 'expiresAt'>,
    origin: string,
    token: string,
  ): TCreatedInvitation {
    return {
      id: invitation.id,
      email: invitation.email,
      role: invitation.role,
      expiresAt: invitation.expiresAt.toISOString(),
      inviteUrl: `${origin}/invite/${token}`,
    };
  }

  private notFound(): WorkspaceException {
    return new WorkspaceException(
      WorkspaceErrorCode.InvitationNotFound,
      'Invitation not found (it may have been accepted or revoked)',
    );
  }

  private linkNotFound(): WorkspaceException {
    return new WorkspaceException(
      WorkspaceErrorCode.InvitationLinkNotFound,
      'This invitation link is not valid; check that it was copied whole',
    );
  }

  private gone(what: string): WorkspaceException {
    return new WorkspaceException(
      WorkspaceErrorCode.InvitationGone,
      `This invitation link ${what}; ask an admin of the workspace for a new one`,
    );
  }
}
