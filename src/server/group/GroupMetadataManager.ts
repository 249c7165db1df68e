// Kafka's GroupMetadataManager for classic groups: the groups this broker coordinates and the
// classic protocol's state machine around them.
//
// Membership follows Kafka 3.9: JoinGroup parks until every known member rejoined or the
// rebalance timeout passed (members that did not rejoin are dropped); the first rebalance of an
// empty group waits group.initial.rebalance.delay.ms, extended while new members keep arriving
// (up to the rebalance timeout); the leader's SyncGroup carries the assignment, which is
// persisted (acks=all, through the CoordinatorRuntime) and handed to the parked SyncGroups; a
// member that misses its session timeout is removed and the group rebalances; a member that
// gets its JoinGroup answer but never syncs is dropped after the rebalance timeout. Static
// members (group.instance.id) keep their place across restarts and fence older incarnations
// (FENCED_INSTANCE_ID). Time is the coordinator's injected clock; every timer goes through the
// CoordinatorTimer (and so through the crash boundary).
//
// It stays one module a little past ~600 lines: it is a single state machine (Kafka's is one
// class too) whose transitions share the group map, the timers and the runtime's writes; the
// per-group state already lives in ClassicGroup.ts, the timers in CoordinatorTimer.ts, the
// records in GroupMetadataRecords.ts and offsets in OffsetMetadataManager.ts.
import type { Logger } from '../../logger.js';
import { ErrorCode, errorName } from '../../protocol/errors.js';
import { detach } from '../../util/CrashBoundary.js';
import type { Time } from '../../util/Time.js';
import { ClassicGroup, ClassicGroupMember, joinError, syncError, type JoinResult, type SyncResult } from './ClassicGroup.js';
import { CoordinatorTimer, heartbeatKey, joinKey, syncKey } from './CoordinatorTimer.js';
import { codeOf, writeErrorCode, type CoordinatorRuntime } from './CoordinatorRuntime.js';
import type { GroupCoordinatorSettings, JoinGroupParams, LeaveResult, MemberIdentity, SyncGroupParams } from './GroupCoordinator.js';
import { partitionForGroup, type GroupLogRecord, type StoredGroup } from './GroupMetadataRecords.js';

/** Kafka's group.classic.new.member.join.timeout.ms: a brand-new member's JoinGroup is not held longer. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000;
const EMPTY = Buffer.alloc(0);

export class GroupMetadataManager {
  private readonly groups = new Map<string, ClassicGroup>();

  constructor(
    private readonly settings: GroupCoordinatorSettings,
    private readonly runtime: CoordinatorRuntime<GroupLogRecord>,
    private readonly timers: CoordinatorTimer,
    private readonly log: Logger,
    private readonly time: Time,
  ) {}

  private now(): number {
    return this.time.now();
  }

  // -------------------------------------------------------------------------------------------
  // The groups, loading and unloading

  /** The group, or undefined. */
  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  /** Every group (a copy: the caller may delete groups while iterating). */
  allGroups(): ClassicGroup[] {
    return [...this.groups.values()];
  }

  /** A new Empty group (a member without an id, or a commit of a simple group, creates it). */
  createGroup(groupId: string): ClassicGroup {
    const group = new ClassicGroup(groupId, this.now());
    this.groups.set(groupId, group);
    return group;
  }

  /** The ids of the groups placed in partition `index` of `partitionCount`. */
  groupIdsIn(index: number, partitionCount: number): string[] {
    return [...this.groups.keys()].filter((g) => partitionForGroup(g, partitionCount) === index);
  }

  /** Replay a group metadata record (or tombstone) of a partition being loaded. */
  replay(groupId: string, value: StoredGroup | null): void {
    if (value === null) this.groups.delete(groupId);
    else this.groups.set(groupId, ClassicGroup.fromStored(groupId, value, this.now()));
  }

  /** A partition was loaded: its members' sessions start now, and groups over group.max.size rebalance. */
  onLoaded(groupIds: string[]): void {
    for (const groupId of groupIds) {
      const group = this.groups.get(groupId)!;
      for (const m of group.members.values()) this.rescheduleHeartbeat(group, m);
      if (group.size > this.settings.maxGroupSize) {
        this.prepareRebalance(group, `freshly-loaded group is over capacity (${this.settings.maxGroupSize})`);
      }
    }
  }

  /** A partition was unloaded: its groups are dropped and their parked requests get NOT_COORDINATOR. */
  onUnloaded(groupIds: string[]): void {
    for (const groupId of groupIds) {
      const group = this.groups.get(groupId)!;
      group.completeAllJoins(ErrorCode.NOT_COORDINATOR);
      group.completeAllSyncs(ErrorCode.NOT_COORDINATOR);
      group.transitionTo('Dead', this.now());
      this.timers.cancelGroup(groupId);
      this.groups.delete(groupId);
    }
  }

  private writeGroup(group: ClassicGroup, assignment: Map<string, Buffer>): Promise<number> {
    return this.runtime.append(group.groupId, [{ kind: 'group', group: group.groupId, value: group.toStored(assignment) }]);
  }

  /**
   * Append `records` (the group's offset tombstones) and the group's tombstone, then forget the
   * group at once. Throws if the append fails (nothing changed then).
   */
  deleteGroup(group: ClassicGroup, records: GroupLogRecord[]): Promise<number> {
    const groupId = group.groupId;
    const committed = this.runtime.append(groupId, [...records, { kind: 'group', group: groupId, value: null }]);
    group.transitionTo('Dead', this.now());
    this.groups.delete(groupId);
    this.timers.cancelGroup(groupId);
    return committed;
  }

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(p: JoinGroupParams): JoinResult | Promise<JoinResult> {
    const unavailable = this.runtime.unavailable(p.groupId);
    if (unavailable !== ErrorCode.NONE) return joinError(p.memberId, unavailable);
    if (p.groupId === '') return joinError(p.memberId, ErrorCode.INVALID_GROUP_ID);
    if (p.sessionTimeoutMs < this.settings.minSessionTimeoutMs || p.sessionTimeoutMs > this.settings.maxSessionTimeoutMs) {
      return joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const isUnknownMember = p.memberId === '';
    let group = this.groups.get(p.groupId);
    if (!group) {
      // A group is created by a member without an id; a member id for an unknown group is stale.
      if (!isUnknownMember) return joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
      group = new ClassicGroup(p.groupId, this.now());
      this.groups.set(p.groupId, group);
    }
    let answer: JoinResult | undefined;
    let resolve: ((r: JoinResult) => void) | undefined;
    const respond = (r: JoinResult) => {
      if (resolve) resolve(r);
      else answer = r;
    };
    try {
      if (!group.canAcceptJoiningMember(p.memberId, this.settings.maxGroupSize)) {
        group.remove(p.memberId);
        respond(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknownMember) {
        this.joinNewMember(group, p, respond);
      } else {
        this.joinExistingMember(group, p, respond);
      }
    } catch (err) {
      this.log.error(`JoinGroup of group ${p.groupId} failed: ${(err as Error).stack ?? err}`);
      respond(joinError(p.memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
    }
    if (answer) return answer;
    return new Promise<JoinResult>((r) => {
      if (answer) r(answer);
      else resolve = r;
    });
  }

  private joinNewMember(group: ClassicGroup, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    if (group.is('Dead')) return respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = group.generateMemberId(p.clientId, p.groupInstanceId);
    if (p.groupInstanceId !== null) {
      const existing = group.staticMemberId(p.groupInstanceId);
      if (existing !== undefined) {
        this.log.info(`static member ${p.groupInstanceId} of group ${group.groupId} rejoins in ${group.state}; replacing member id ${existing}`);
        return this.updateStaticMemberThenRebalanceOrCompleteJoin(group, p, existing, newMemberId, respond);
      }
      return this.addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, respond);
    }
    if (p.apiVersion >= 4) {
      // KIP-394: hand out the member id and have the client rejoin with it.
      group.addPendingMember(newMemberId);
      this.timers.schedule(heartbeatKey(group.groupId, newMemberId), p.sessionTimeoutMs, () => this.expireHeartbeat(group.groupId, newMemberId));
      return respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, respond);
  }

  private joinExistingMember(group: ClassicGroup, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    const memberId = p.memberId;
    if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.isPendingMember(memberId)) {
      // Pending members were handed their id by MEMBER_ID_REQUIRED, which static members never get.
      if (p.groupInstanceId !== null) return respond(joinError(memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
      return this.addMemberThenRebalanceOrCompleteJoin(group, p, memberId, respond);
    }
    const error = group.validateMember(memberId, p.groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
    if (error !== ErrorCode.NONE) return respond(joinError(memberId, error));
    const member = group.get(memberId);
    const reason = p.reason ?? 'not provided';
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `member ${memberId} joining during PreparingRebalance; client reason: ${reason}`);
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // The member probably missed the JoinGroup answer: give it the current generation again.
          return respond(group.joinResult(memberId, group.isLeader(memberId)));
        }
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `member ${memberId} changed its metadata during CompletingRebalance; client reason: ${reason}`);
      case 'Stable':
        if (group.isLeader(memberId)) {
          // A leader's JoinGroup always rebalances (it may have seen topic metadata change).
          return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `leader ${memberId} re-joining during Stable; client reason: ${reason}`);
        }
        if (!member.matches(p.protocols)) {
          return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, respond, `member ${memberId} changed its metadata during Stable; client reason: ${reason}`);
        }
        return respond(group.joinResult(memberId, false));
      default:
        this.log.warn(`member ${memberId} of group ${group.groupId} rejoins in unexpected state ${group.state}`);
        return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, p: JoinGroupParams, memberId: string, respond: (r: JoinResult) => void): void {
    const member = new ClassicGroupMember(
      memberId,
      p.groupInstanceId,
      p.clientId,
      p.clientHost,
      p.rebalanceTimeoutMs,
      p.sessionTimeoutMs,
      p.protocolType,
      p.protocols,
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat while its JoinGroup is parked; bound how long it may be held.
    this.rescheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalanceOrCompleteJoin(
      group,
      `adding new member ${memberId} with group instance id ${p.groupInstanceId}; client reason: ${p.reason ?? 'not provided'}`,
    );
  }

  private updateMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    member: ClassicGroupMember,
    p: JoinGroupParams,
    respond: (r: JoinResult) => void,
    reason: string,
  ): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    this.maybePrepareRebalanceOrCompleteJoin(group, reason);
  }

  private updateStaticMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    p: JoinGroupParams,
    oldMemberId: string,
    newMemberId: string,
    respond: (r: JoinResult) => void,
  ): void {
    const instanceId = p.groupInstanceId!;
    const currentLeader = group.leaderId ?? '';
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    this.timers.cancel(heartbeatKey(group.groupId, oldMemberId));
    this.rescheduleHeartbeat(group, member);
    const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    const reason = `static member ${instanceId} rejoined as ${newMemberId}; client reason: ${p.reason ?? 'not provided'}`;
    switch (group.state) {
      case 'Stable': {
        if (group.protocolName !== group.selectProtocol()) {
          return this.maybePrepareRebalanceOrCompleteJoin(group, `${reason}; the selected protocol changes`);
        }
        // Same protocol: no rebalance. Persist the new member id, then give it the current generation.
        const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment] as const));
        const revert = (m: ClassicGroupMember, code: number, why: string) => {
          this.log.warn(`persisting static member ${instanceId} of group ${group.groupId} failed: ${why}; reverting to ${oldMemberId}`);
          group.updateMember(m, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
          const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
          this.timers.cancel(heartbeatKey(group.groupId, newMemberId));
          this.rescheduleHeartbeat(group, restored);
          respond({ ...group.joinResult('', false, currentLeader), errorCode: code });
        };
        let committed: Promise<number>;
        try {
          committed = this.writeGroup(group, assignment);
        } catch (err) {
          return revert(member, writeErrorCode(codeOf(err), 'group'), (err as Error).message);
        }
        const persisted = committed.then((code) => {
          // Unloaded meanwhile (the parked JoinGroup got NOT_COORDINATOR), or replaced again.
          if (this.groups.get(group.groupId) !== group || !group.has(newMemberId)) return;
          const current = group.get(newMemberId);
          // A rebalance that started meanwhile answers the parked JoinGroup itself.
          if (!group.is('Stable') || group.staticMemberId(instanceId) !== newMemberId) return;
          if (code !== ErrorCode.NONE) return revert(current, writeErrorCode(code, 'group'), errorName(code));
          if (p.apiVersion >= 9) {
            // KIP-814: the static leader learns it leads but skips the assignment of a stable group.
            const isLeader = group.isLeader(newMemberId);
            group.completeJoin(current, group.joinResult(newMemberId, isLeader, group.leaderId ?? '', isLeader));
          } else {
            // Older clients get the old leader id, so that a rejoining leader does not reassign.
            group.completeJoin(current, group.joinResult(newMemberId, false, currentLeader));
          }
        });
        detach(this.log, `answering rejoined static member ${instanceId} of group ${group.groupId}`, persisted);
        return;
      }
      case 'CompletingRebalance':
        // The leader may already be assigning to the old member id: rebalance again.
        return this.prepareRebalance(group, reason);
      case 'PreparingRebalance':
        return this.maybeCompleteJoinPhase(group);
      default:
        throw new Error(`group ${group.groupId} in unexpected state ${group.state} for a rejoining static member`);
    }
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const isInitialRebalance = group.is('Empty');
    if (isInitialRebalance) {
      const delayMs = this.settings.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs - delayMs, 0);
      const groupId = group.groupId;
      this.timers.schedule(joinKey(groupId), delayMs, () => this.tryCompleteInitialRebalanceElseSchedule(groupId, delayMs, remainingMs));
    }
    group.transitionTo('PreparingRebalance', this.now());
    this.log.info(`preparing to rebalance group ${group.groupId} with old generation ${group.generationId} (reason: ${reason})`);
    if (!isInitialRebalance) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined) return this.completeJoin(group);
    const groupId = group.groupId;
    this.timers.schedule(joinKey(groupId), group.rebalanceTimeoutMs, () => this.completeJoinById(groupId));
  }

  private tryCompleteInitialRebalanceElseSchedule(groupId: string, delayMs: number, remainingMs: number): void {
    const group = this.groups.get(groupId);
    if (!group) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const newDelayMs = Math.min(this.settings.initialRebalanceDelayMs, remainingMs);
      const newRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.timers.schedule(joinKey(groupId), newDelayMs, () => this.tryCompleteInitialRebalanceElseSchedule(groupId, newDelayMs, newRemainingMs));
    } else {
      this.completeJoin(group);
    }
  }

  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance')) return;
    if (group.previousState === 'Empty') return; // the initial rebalance waits for its delay
    if (!group.hasAllMembersJoined) return;
    this.completeJoin(group);
  }

  private completeJoinById(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group) this.completeJoin(group);
  }

  /** End of the join phase: drop dynamic members that did not rejoin, start the next generation. */
  private completeJoin(group: ClassicGroup): void {
    const groupId = group.groupId;
    this.timers.cancel(joinKey(groupId));
    if (!group.is('PreparingRebalance')) return;
    const dropped = group.notYetRejoinedMembers().filter((m) => !m.isStatic);
    for (const m of dropped) {
      group.remove(m.memberId);
      this.timers.cancel(heartbeatKey(groupId, m.memberId));
    }
    if (dropped.length > 0) this.log.info(`group ${groupId} removed members that did not rejoin: ${dropped.map((m) => m.memberId).join(', ')}`);
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members are left and none rejoined: wait until their sessions expire.
      this.log.warn(`group ${groupId} could not complete its rebalance because no member rejoined`);
      this.timers.schedule(joinKey(groupId), group.rebalanceTimeoutMs, () => this.completeJoinById(groupId));
      return;
    }
    group.initNextGeneration(this.now());
    if (group.is('Empty')) {
      this.log.info(`group ${groupId} with generation ${group.generationId} is now empty`);
      const failed = (why: string) => this.log.warn(`failed to write empty metadata for group ${groupId}: ${why}`);
      try {
        const written = this.writeGroup(group, new Map()).then((code) => code !== ErrorCode.NONE && failed(errorName(code)));
        detach(this.log, `writing empty metadata of group ${groupId}`, written);
      } catch (err) {
        failed((err as Error).message);
      }
      return;
    }
    this.log.info(`stabilized group ${groupId} generation ${group.generationId} (${group.protocolType}/${group.protocolName}) with ${group.size} members`);
    for (const m of [...group.members.values()]) {
      group.completeJoin(m, group.joinResult(m.memberId, group.isLeader(m.memberId)));
      this.rescheduleHeartbeat(group, m);
      m.isNew = false;
      group.addPendingSyncMember(m.memberId);
    }
    const generation = group.generationId;
    this.timers.schedule(syncKey(groupId), group.rebalanceTimeoutMs, () => this.expirePendingSync(groupId, generation));
  }

  private expirePendingSync(groupId: string, generationId: number): void {
    const group = this.groups.get(groupId);
    if (!group || generationId !== group.generationId) return;
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.hasReceivedSyncFromAllMembers) return;
    const pending = group.allPendingSyncMembers();
    for (const id of pending) {
      group.remove(id);
      this.timers.cancel(heartbeatKey(groupId, id));
    }
    this.prepareRebalance(group, `removing ${pending.join(', ')} on pending sync request expiration`);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.clearPendingSyncMembers();
    this.timers.cancel(syncKey(group.groupId));
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId);
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.hasReceivedSyncFromAllMembers) this.timers.cancel(syncKey(group.groupId));
  }

  // -------------------------------------------------------------------------------------------
  // Sessions

  /** (Re)start a member's session (or, for a new member, its join timeout). */
  rescheduleHeartbeat(group: ClassicGroup, member: ClassicGroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const groupId = group.groupId;
    const memberId = member.memberId;
    this.timers.schedule(heartbeatKey(groupId, memberId), timeoutMs, () => this.expireHeartbeat(groupId, memberId));
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return;
    if (group.isPendingMember(memberId)) {
      this.log.info(`pending member ${memberId} of group ${groupId} removed after its session timeout`);
      group.remove(memberId);
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
      return;
    }
    const member = group.members.get(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.log.info(`member ${memberId} of group ${groupId} has failed (session timeout ${member.sessionTimeoutMs} ms), removing it`);
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: ClassicGroupMember, reason: string): void {
    // A new member may expire while parked in JoinGroup: answer it so that the client retries.
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup

  syncGroup(p: SyncGroupParams): SyncResult | Promise<SyncResult> {
    const unavailable = this.runtime.unavailable(p.groupId);
    if (unavailable !== ErrorCode.NONE) return syncError(unavailable);
    if (p.groupId === '') return syncError(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(p.groupId);
    if (!group) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const error = group.validateMember(p.memberId, p.groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
    if (error !== ErrorCode.NONE) return syncError(error);
    if (p.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    const inconsistent = (req: string | null, current: string | null) => req !== null && current !== null && req !== current;
    if (inconsistent(p.protocolType, group.protocolType) || inconsistent(p.protocolName, group.protocolName)) {
      return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    switch (group.state) {
      case 'PreparingRebalance':
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable': {
        this.removePendingSyncMember(group, p.memberId);
        const m = group.get(p.memberId);
        return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment };
      }
      case 'CompletingRebalance': {
        const member = group.get(p.memberId);
        const parked = new Promise<SyncResult>((resolve) => {
          // A duplicate SyncGroup replaces the parked one; answer the old one first.
          group.completeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.awaitingSync = resolve;
        });
        this.removePendingSyncMember(group, p.memberId);
        if (group.isLeader(p.memberId)) this.completeSyncWithLeaderAssignment(group, p);
        return parked;
      }
      default:
        return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private completeSyncWithLeaderAssignment(group: ClassicGroup, p: SyncGroupParams): void {
    const assignment = new Map<string, Buffer>();
    for (const a of p.assignments) if (group.has(a.memberId)) assignment.set(a.memberId, a.assignment);
    const missing = [...group.members.keys()].filter((id) => !assignment.has(id));
    for (const id of missing) assignment.set(id, EMPTY);
    if (missing.length > 0) this.log.warn(`group ${group.groupId} generation ${group.generationId}: empty assignment for ${missing.join(', ')}`);
    this.log.info(`assignment received from leader ${p.memberId} for group ${group.groupId} generation ${group.generationId} (${group.size} members)`);
    const generation = group.generationId;
    const failed = (code: number, why: string) => {
      this.log.error(`storing the assignment of group ${group.groupId} generation ${generation} failed: ${why}; answering ${errorName(code)}`);
      this.resetAndPropagateAssignmentWithError(group, code);
      this.maybePrepareRebalanceOrCompleteJoin(group, `error ${errorName(code)} when storing the group assignment`);
    };
    let committed: Promise<number>;
    try {
      committed = this.writeGroup(group, assignment);
    } catch (err) {
      return failed(writeErrorCode(codeOf(err), 'group'), (err as Error).message);
    }
    // The members get their assignment once it is replicated (offsets.commit.required.acks=-1).
    const current = () => this.groups.get(group.groupId) === group && group.is('CompletingRebalance') && group.generationId === generation;
    const stored = committed.then((code) => {
      if (!current()) return;
      if (code !== ErrorCode.NONE) return failed(writeErrorCode(code, 'group'), errorName(code));
      for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
      this.propagateAssignment(group, ErrorCode.NONE);
      group.transitionTo('Stable', this.now());
    });
    // Should completing the generation throw, the members parked in SyncGroup are not left hanging: they rejoin.
    detach(this.log, `completing generation ${generation} of group ${group.groupId}`, stored, () => {
      if (current()) failed(ErrorCode.UNKNOWN_SERVER_ERROR, 'completing the generation failed');
    });
  }

  private resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of [...group.members.values()]) {
      const r: SyncResult = { errorCode, protocolType: ok ? group.protocolType : null, protocolName: ok ? group.protocolName : null, assignment: m.assignment };
      // Restart the session clock: it may have run out while the member waited for the leader.
      if (group.completeSync(m, r)) this.rescheduleHeartbeat(group, m);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeat and LeaveGroup

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const unavailable = this.runtime.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return unavailable;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = group.validateMember(memberId, groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
    if (error !== ErrorCode.NONE) return error;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, group.get(memberId));
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        this.rescheduleHeartbeat(group, group.get(memberId));
        return ErrorCode.NONE;
    }
  }

  leaveGroup(groupId: string, members: MemberIdentity[]): LeaveResult {
    const unavailable = this.runtime.unavailable(groupId);
    if (unavailable !== ErrorCode.NONE) return { errorCode: unavailable, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(groupId);
    const result = (m: MemberIdentity, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (!group) return { errorCode: ErrorCode.NONE, members: members.map((m) => result(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const out: LeaveResult['members'] = [];
    let anyLeft = false;
    for (const m of members) {
      const reason = m.reason ?? 'not provided';
      let code: number = ErrorCode.NONE;
      if (m.memberId === '') {
        // Administrative removal of a static member by its instance id.
        const id = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
        if (id === undefined) code = ErrorCode.UNKNOWN_MEMBER_ID;
        else this.removeCurrentMember(group, id, reason);
      } else if (group.isPendingMember(m.memberId)) {
        group.remove(m.memberId);
        this.timers.cancel(heartbeatKey(groupId, m.memberId));
        this.log.info(`pending member ${m.memberId} left group ${groupId}; client reason: ${reason}`);
      } else {
        code = group.validateMember(m.memberId, m.groupInstanceId, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID);
        if (code === ErrorCode.NONE) this.removeCurrentMember(group, m.memberId, reason);
      }
      if (code === ErrorCode.NONE) anyLeft = true;
      out.push(result(m, code));
    }
    if (anyLeft) {
      const reason = `explicit LeaveGroup of ${out.filter((r) => r.errorCode === ErrorCode.NONE).map((r) => r.memberId || r.groupInstanceId).join(', ')}`;
      if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
      else if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
    }
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private removeCurrentMember(group: ClassicGroup, memberId: string, reason: string): void {
    const member = group.get(memberId);
    this.timers.cancel(heartbeatKey(group.groupId, memberId));
    this.log.info(`member ${memberId} left group ${group.groupId}; client reason: ${reason}`);
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(memberId);
  }
}
