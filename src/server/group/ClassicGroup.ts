// One classic consumer group and its members (Kafka's ClassicGroup + ClassicGroupMember): the
// state machine Empty → PreparingRebalance → CompletingRebalance → Stable (→ Dead when
// deleted), the generation, the protocol type and the protocol the members vote for, the
// leader, static members (group.instance.id → member id), members that were handed a member
// id but have not joined yet (MEMBER_ID_REQUIRED), members that still owe a SyncGroup, and the
// parked JoinGroup/SyncGroup answers of each member. This module only keeps the data
// consistent (and converts it to and from its group metadata record); GroupMetadataManager
// decides when to move between states.
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/errors.js';
import { Reader } from '../../protocol/primitives.js';
import type { StoredGroup } from './GroupMetadataRecords.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS: Record<GroupState, GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export interface Protocol {
  name: string;
  metadata: Buffer;
}

/** What a parked JoinGroup is answered with (version-independent). */
export interface JoinResult {
  errorCode: number;
  memberId: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

/** What a parked SyncGroup is answered with. */
export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export function joinError(memberId: string, errorCode: number): JoinResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, members: [] };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

const EMPTY = Buffer.alloc(0);

export class ClassicGroupMember {
  assignment: Buffer = EMPTY;
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  awaitingSync: ((r: SyncResult) => void) | null = null;
  /** Joined in the current rebalance and not yet given a generation (its session does not protect it). */
  isNew = false;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /** A member parked in JoinGroup/SyncGroup counts as alive, unless it is new. */
  hasSatisfiedHeartbeat(): boolean {
    return this.isNew ? false : this.isAwaitingJoin || this.isAwaitingSync;
  }

  metadata(protocolName: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocolName);
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`);
    return p.metadata;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The member's first protocol (in its preference order) among the candidates. */
  vote(candidates: Set<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return p.name;
  }
}

export class ClassicGroup {
  state: GroupState;
  previousState: GroupState | null = null;
  /** When the group last changed state (ms); persisted, drives offset expiration of empty groups. */
  currentStateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Set while an initial rebalance is delayed and a new member arrived (extends the delay). */
  newMemberAdded = false;
  /** Topics the members subscribe to (consumer protocol only), null when unknown. */
  subscribedTopics: Set<string> | null = null;
  /** Offset commits appended but not yet replicated (the high watermark has not passed them). */
  pendingOffsetCommits = 0;

  readonly members = new Map<string, ClassicGroupMember>();
  private readonly staticMembers = new Map<string, string>();
  private readonly pendingJoinMembers = new Set<string>();
  private readonly pendingSyncMembers = new Set<string>();
  private readonly supportedProtocols = new Map<string, number>();
  private numAwaitingJoin = 0;

  constructor(
    readonly groupId: string,
    now: number,
    state: GroupState = 'Empty',
  ) {
    this.state = state;
    this.currentStateTimestamp = now;
  }

  /** The group a group metadata record describes (Stable with members, else Empty). */
  static fromStored(groupId: string, v: StoredGroup, now: number): ClassicGroup {
    const group = new ClassicGroup(groupId, v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : now, v.members.length > 0 ? 'Stable' : 'Empty');
    group.generationId = v.generation;
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    group.protocolName = v.protocol;
    for (const sm of v.members) {
      const m = new ClassicGroupMember(
        sm.memberId,
        sm.groupInstanceId,
        sm.clientId,
        sm.clientHost,
        sm.rebalanceTimeoutMs,
        sm.sessionTimeoutMs,
        v.protocolType,
        [{ name: v.protocol ?? '', metadata: sm.subscription }],
      );
      m.assignment = sm.assignment;
      group.add(m, null);
    }
    if (v.leader !== null && group.has(v.leader)) group.leaderId = v.leader;
    group.subscribedTopics = group.computeSubscribedTopics();
    return group;
  }

  /** The group metadata record of the current generation with this assignment. */
  toStored(assignment: Map<string, Buffer>): StoredGroup {
    const protocol = this.protocolName;
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol,
      leader: this.leaderId,
      currentStateTimestamp: this.currentStateTimestamp,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY : m.metadata(protocol),
        assignment: assignment.get(m.memberId) ?? EMPTY,
      })),
    };
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: invalid transition from ${this.state} to ${state}`);
    }
    this.previousState = this.state;
    this.state = state;
    this.currentStateTimestamp = now;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): ClassicGroupMember {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`group ${this.groupId} has no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get isSimple(): boolean {
    return this.protocolType === null;
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  generateMemberId(clientId: string, groupInstanceId: string | null): string {
    return `${groupInstanceId ?? clientId}-${randomUUID()}`;
  }

  add(member: ClassicGroupMember, onJoin: ((r: JoinResult) => void) | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) throw new Error(`static member ${member.groupInstanceId} is already in group ${this.groupId}`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.protocolType !== member.protocolType) throw new Error('the group and member protocol types differ');
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.incrementSupported(member);
    member.awaitingJoin = onJoin;
    if (member.isAwaitingJoin) this.numAwaitingJoin++;
    this.pendingJoinMembers.delete(member.memberId);
  }

  /** Remove a member; a JoinGroup/SyncGroup it still has parked is answered UNKNOWN_MEMBER_ID. */
  remove(memberId: string): void {
    const m = this.members.get(memberId);
    if (m) {
      this.completeJoin(m, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
      this.completeSync(m, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      this.members.delete(memberId);
      this.decrementSupported(m);
      if (m.isAwaitingJoin) this.numAwaitingJoin--;
      if (m.groupInstanceId !== null) this.staticMembers.delete(m.groupInstanceId);
    }
    if (this.isLeader(memberId)) {
      const next = this.members.keys().next();
      this.leaderId = next.done ? null : next.value;
    }
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** Keep the leader if it rejoined, else pick any member that did; false if none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Static member rejoining with an unknown member id: same member under a new id; the old id is fenced. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fenced: number): ClassicGroupMember {
    const old = this.members.get(oldMemberId);
    if (!old) throw new Error(`cannot replace unknown member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    // Fence a duplicate that may still be parked under the old id.
    this.completeJoin(old, { ...joinError(oldMemberId, fenced) });
    this.completeSync(old, syncError(fenced));
    const m = new ClassicGroupMember(
      newMemberId,
      old.groupInstanceId,
      old.clientId,
      old.clientHost,
      old.rebalanceTimeoutMs,
      old.sessionTimeoutMs,
      old.protocolType,
      old.protocols,
    );
    m.assignment = old.assignment;
    this.members.set(newMemberId, m);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return m;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingJoinMembers.has(memberId);
  }

  addPendingMember(memberId: string): void {
    this.pendingJoinMembers.add(memberId);
  }

  addPendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.add(memberId);
  }

  removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
  }

  get hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }

  allPendingSyncMembers(): string[] {
    return [...this.pendingSyncMembers];
  }

  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear();
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  notYetRejoinedMembers(): ClassicGroupMember[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingJoinMembers.size === 0;
  }

  get numAwaitingJoinResponse(): number {
    return this.numAwaitingJoin;
  }

  /** The longest rebalance timeout of the members. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Kafka's validateMember: the static id must map to this member id, and the member must exist. Returns an error code or 0. */
  validateMember(memberId: string, groupInstanceId: string | null, unknownMember: number, fenced: number): number {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return unknownMember;
      if (existing !== memberId) return fenced;
    }
    return this.members.has(memberId) ? 0 : unknownMember;
  }

  /** Can one of these protocols be used by the group (with the given protocol type)? */
  supportsProtocols(protocolType: string, protocolNames: string[]): boolean {
    if (this.state === 'Empty') return protocolType.length > 0 && protocolNames.length > 0;
    return this.protocolType === protocolType && protocolNames.some((n) => (this.supportedProtocols.get(n) ?? 0) === this.members.size);
  }

  /** The protocol supported by every member with the most votes (each member votes its first choice among those). */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best!;
  }

  private incrementSupported(m: ClassicGroupMember): void {
    for (const p of m.protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
  }

  private decrementSupported(m: ClassicGroupMember): void {
    for (const p of m.protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) - 1);
  }

  updateMember(m: ClassicGroupMember, protocols: Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, onJoin: ((r: JoinResult) => void) | null): void {
    this.decrementSupported(m);
    m.protocols = protocols;
    this.incrementSupported(m);
    m.rebalanceTimeoutMs = rebalanceTimeoutMs;
    m.sessionTimeoutMs = sessionTimeoutMs;
    if (onJoin !== null && m.awaitingJoin !== null && m.awaitingJoin !== onJoin) {
      // A second JoinGroup from the same member replaces the parked one, which is released.
      const previous = m.awaitingJoin;
      m.awaitingJoin = onJoin;
      previous(joinError(m.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
      return;
    }
    if (onJoin !== null && !m.isAwaitingJoin) this.numAwaitingJoin++;
    else if (onJoin === null && m.isAwaitingJoin) this.numAwaitingJoin--;
    m.awaitingJoin = onJoin;
  }

  /** Answer the member's parked JoinGroup; false if it had none. */
  completeJoin(m: ClassicGroupMember, r: JoinResult): boolean {
    const cb = m.awaitingJoin;
    if (!cb) return false;
    m.awaitingJoin = null;
    this.numAwaitingJoin--;
    cb(r);
    return true;
  }

  /** Answer the member's parked SyncGroup; false if it had none. */
  completeSync(m: ClassicGroupMember, r: SyncResult): boolean {
    const cb = m.awaitingSync;
    if (!cb) return false;
    m.awaitingSync = null;
    cb(r);
    return true;
  }

  completeAllJoins(errorCode: number): void {
    for (const m of [...this.members.values()]) this.completeJoin(m, joinError(m.memberId, errorCode));
  }

  completeAllSyncs(errorCode: number): void {
    for (const m of this.members.values()) this.completeSync(m, syncError(errorCode));
  }

  /** Next generation: CompletingRebalance with a selected protocol, or Empty when nobody is left. */
  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', now);
    }
    this.clearPendingSyncMembers();
  }

  /** Kafka's acceptJoiningMember: whether group.max.size leaves room for this member to join. */
  canAcceptJoiningMember(memberId: string, maxGroupSize: number): boolean {
    switch (this.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (this.has(memberId) && this.get(memberId).isAwaitingJoin) || this.numAwaitingJoin < maxGroupSize;
      case 'CompletingRebalance':
      case 'Stable':
        return this.has(memberId) || this.size < maxGroupSize;
    }
  }

  /** A successful JoinGroup answer for the current generation (the member list for the leader). */
  joinResult(memberId: string, withMembers: boolean, leader = this.leaderId ?? '', skipAssignment = false): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      memberId,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader,
      skipAssignment,
      members: withMembers ? this.currentMemberMetadata() : [],
    };
  }

  /** Members as the leader's JoinGroup answer lists them (metadata of the selected protocol). */
  currentMemberMetadata(): JoinResult['members'] {
    const name = this.protocolName ?? '';
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(name) }));
  }

  /**
   * Topics subscribed by the members when the protocol type is "consumer": read from the
   * ConsumerProtocolSubscription (version prefix, then the v0 topic list every version starts
   * with). null when not known.
   */
  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== 'consumer') return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        r.int16(); // version
        const n = r.arrayLength();
        for (let i = 0; i < n; i++) topics.add(r.string());
      }
    } catch {
      return null;
    }
    return topics;
  }

  /** Whether OffsetDelete must refuse the topic (GROUP_SUBSCRIBED_TO_TOPIC). */
  isSubscribedToTopic(topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic);
    return this.usesConsumerProtocol;
  }

  get usesConsumerProtocol(): boolean {
    return this.protocolType === 'consumer';
  }
}
