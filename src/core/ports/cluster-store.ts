// The part of the store port that several gateway nodes on one database need (migration 0022,
// docs/cluster.md): node membership (a heartbeat row per node with a lease), work leases with an
// epoch for fencing, and the owner node of a sale so another node can take a dead node's sale over.
// StoreTx and StoreReader extend these, so both adapters implement them.

/** One gateway process as the database knows it. */
export interface NodeRecord {
  readonly id: string;
  readonly startedAtMs: number;
  readonly heartbeatAtMs: number;
  /** The node counts as alive until then; it pushes it forward with every heartbeat. */
  readonly leaseExpiresAtMs: number;
  /** Set when the node stopped cleanly (its lease is then expired at once). */
  readonly stoppedAtMs: number | null;
  readonly version: string;
  /** Where the node serves (host:port of its HTTP API), for operators. */
  readonly address: string;
}

/** Work one node at a time may do, owned until `expiresAtMs`; `epoch` grows by one on every change of owner. */
export interface WorkLeaseRecord {
  readonly name: string;
  readonly ownerNode: string;
  readonly epoch: number;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
}

/** A lease as held: what every write made under it names, so a write after losing it fails. */
export interface HeldLease {
  readonly name: string;
  readonly ownerNode: string;
  readonly epoch: number;
  readonly expiresAtMs: number;
}

export interface ClusterStoreReader {
  listNodes(): Promise<NodeRecord[]>;
  getNode(id: string): Promise<NodeRecord | null>;
  listWorkLeases(): Promise<WorkLeaseRecord[]>;
  /** The node that created a payment or took it over; null for payments written before migration 0022 or without a node. */
  ownerNodeOfPayment(paymentId: string): Promise<string | null>;
  /** Pending payments whose owner node's lease expired at `nowMs` (or which names a node without a row), oldest first. */
  listPendingPaymentsOfDeadNodes(nowMs: number, exceptNode: string, limit: number): Promise<string[]>;
  /** The node whose claim sent the reversal's last try, by reversal id. */
  reversalClaimsByNode(): Promise<Array<{ node: string; reversalId: string }>>;
}

export interface ClusterStoreTx extends ClusterStoreReader {
  /** Inserts or refreshes this node's row: heartbeat now, lease until `leaseExpiresAtMs`. */
  heartbeatNode(node: Omit<NodeRecord, 'stoppedAtMs'>): Promise<void>;
  /** A clean stop: the node's lease ends now, so its sales are taken over without waiting. */
  markNodeStopped(id: string, atMs: number): Promise<void>;
  /**
   * Takes or renews a work lease with one conditional write: granted when the lease is free, expired at
   * `nowMs`, or already ours. A change of owner increments the epoch. Null when another node holds it.
   */
  claimWorkLease(name: string, node: string, nowMs: number, leaseMs: number): Promise<HeldLease | null>;
  /** Gives a lease up (a clean stop), only if still ours at that epoch. */
  releaseWorkLease(lease: HeldLease): Promise<void>;
  /** Fencing: throws RSW_LEASE_LOST unless `lease` is still held at its epoch (and not expired at `nowMs`); rolls the unit back. */
  assertWorkLease(lease: HeldLease, nowMs: number): Promise<void>;
  /** Moves a pending payment from a dead owner to `toNode`: a conditional update, false when someone else did first or it is no longer pending. */
  takeOverPayment(paymentId: string, fromNode: string | null, toNode: string): Promise<boolean>;
}

/** The cluster as GET /v1/nodes and `reswipe nodes` show it (src/app/cluster/list-cluster-nodes.ts). */
export interface ClusterNodeView {
  id: string;
  version: string;
  address: string;
  startedAtMs: number;
  lastHeartbeatAtMs: number;
  leaseExpiresAtMs: number;
  stoppedAtMs: number | null;
  alive: boolean;
  leader: boolean;
  leases: Array<{ name: string; epoch: number; expiresAtMs: number }>;
  reversalsClaimed: number;
}

export interface ClusterView {
  nowMs: number;
  leader: string | null;
  nodes: ClusterNodeView[];
}

