/*
 * Exactly's send protocol as a Promela model, checked exhaustively by spin.
 *
 *   ingest (one transaction: record + message + outbox row)
 *     -> relay (publish, then mark published; a crash between re-publishes)
 *     -> topic (append-only; a deliberate replay rewinds the consumer)
 *     -> dispatcher (one transaction per record: inbox + effect + stored offset; the effect is
 *        created already claimed by the dispatcher's own executor, worker 1, and handed to it in
 *        memory after the commit)
 *     -> effect executors (claim with a fencing epoch, write-ahead attempt, call, outcome)
 *     -> provider (never deduplicates: every call counts)
 *
 * Any process can crash at any step (bounded by MAX_CRASHES so the state space is finite); an
 * executor can be paused past its lease at any point, so another may claim the effect. The
 * invariants (docs/design.md):
 *   1. every accepted command reaches a terminal state (sent, failed or held): checked when
 *      nothing can move any more (spin's `timeout`);
 *   2. the provider is called again for a command only after an attempt whose outcome is
 *      unknown (calls <= 1 + ambiguous attempts), and never twice under the hold policy;
 *   3. one effect (one set of events) per command, whatever the redeliveries and replays;
 *   4. order per key: the two commands share one Kafka key (one partition), and the dispatcher
 *      takes up a command only after every command committed before it (checked when it does).
 *      A message's own events are ordered by its stream's version (a unique key), which the fault
 *      suite checks on the real events topic.
 *
 * Witnesses (spin -DWITNESS_...) must fail, to show the checked runs are not vacuous: a command
 * is sent (SENT), one is held (HELD), a retried call happens (SECOND_CALL).
 *
 * Variants (spin -D...): HOLD (the policy for providers that ignore keys; default: retry with
 * the same key), and three deliberately broken protocols that must violate an invariant:
 *   BROKEN_INBOX      the inbox is marked in a transaction of its own, before the effect;
 *   BROKEN_FENCE      an attempt starts without checking that its claim is still the current one;
 *   BROKEN_AMBIGUITY  a lapsed claim with an attempt in flight is taken as if nothing had started;
 *   BROKEN_ORDER      the relay publishes any unpublished row, not a shard's oldest first (as a relay
 *                     whose batches in flight could land out of order would).
 */

#define N 2
#define WORKERS 2
#ifndef MAX_CRASHES
#define MAX_CRASHES 1
#endif
#define MAX_REPLAYS 1
#define MAX_LAPSES 1
#define MAX_AMBIGUOUS 2
#define TOPIC_MAX (N + MAX_CRASHES)

#define PENDING 0
#define STARTED 1
#define SENT 2
#define FAILED 3
#define HELD 4
#define NOBODY 0
#define terminal(c) (effectState[c] == SENT || effectState[c] == FAILED || effectState[c] == HELD)
/* A started attempt can be taken over when its owner died (its lease runs out), or while it is
   alive but paused past its lease (bounded, so the model stays finite). */
#define claimable(c) (effect[c] && (effectState[c] == PENDING || (effectState[c] == STARTED && (!calling[c] || lapses < MAX_LAPSES))))

bool accepted[N];
/* Commands are committed in index order (one client, one key): command 0 before command 1. */
bool outbox[N];
byte topic[TOPIC_MAX];
byte topicLen = 0;
byte storedOffset = 0;
bool inbox[N];
bool effect[N];
byte effectsMade[N];
byte effectState[N];
byte owner[N];
bool calling[N];
byte calls[N];
byte ambiguous[N];
byte crashes = 0;
byte replays = 0;
byte lapses = 0;

/* Clients post commands; a request either commits its one transaction (and is accepted) or
   stores nothing. */
active proctype Ingest() {
  byte c = 0;
  do
  :: c < N -> atomic { accepted[c] = true; outbox[c] = true }; c++
  :: c < N -> c++
  :: c == N -> break
  od
}

inline publish(c) {
  atomic {
    topic[topicLen] = c;
    topicLen++;
    if
    :: outbox[c] = false
    :: crashes < MAX_CRASHES -> crashes++ /* died after the broker's ack: the row stays, sent again */
    fi
  }
}

/* The relay claims a shard's unpublished rows oldest first, so one key's records reach its
   partition in commit order; a re-publish after a crash repeats a record, never reorders. */
active proctype Relay() {
end:
  do
  :: outbox[0] && topicLen < TOPIC_MAX -> publish(0)
#ifdef BROKEN_ORDER
  :: outbox[1] && topicLen < TOPIC_MAX -> publish(1)
#else
  :: !outbox[0] && outbox[1] && topicLen < TOPIC_MAX -> publish(1)
#endif
  od
}

/* Every command committed before c has been taken up already (N = 2: command 0 before 1). */
#define takenUpInOrder(c) (c == 0 || !accepted[0] || inbox[0])

#define HANDLER 1

/* The effect is created claimed by the dispatcher's executor (pending its start, owner worker 1)
   and handed over in memory with the commit. Any other worker can still take it over, as after
   its lease ran out (a dead or paused process): the model lets a claim happen at any time. */
inline createEffect(c) {
  effect[c] = true;
  effectsMade[c]++;
  effectState[c] = PENDING;
  owner[c] = HANDLER
}

active proctype Dispatcher() {
  byte c;
  bool fresh;
end:
  do
  :: atomic {
       storedOffset < topicLen ->
       c = topic[storedOffset];
       if
#ifdef BROKEN_INBOX
       /* The inbox row commits alone; the effect and the offset in a second transaction. */
       :: fresh = !inbox[c];
          inbox[c] = true;
          if
          :: crashes < MAX_CRASHES -> crashes++ /* died between the two transactions */
          :: else -> if :: fresh -> assert(takenUpInOrder(c)); createEffect(c) :: else -> skip fi; storedOffset++
          fi
#else
       /* One transaction: the inbox row, the effect and the stored offset. */
       :: if
          :: !inbox[c] -> assert(takenUpInOrder(c)); inbox[c] = true; createEffect(c)
          :: else -> skip /* a re-publish, redelivery or replay: dropped by the inbox */
          fi;
          storedOffset++
#endif
       :: crashes < MAX_CRASHES -> crashes++ /* died before its commit: the record comes again */
       fi;
       assert(effectsMade[c] <= 1)
     }
  :: replays < MAX_REPLAYS -> atomic { replays++; storedOffset = 0 }
  od
}

/* The policy after an attempt whose outcome is unknown: hold for the operator, or (a provider
   that honours the key) retry with the same key, up to a cap, then hold. */
inline afterAmbiguity(c) {
  ambiguous[c]++;
#ifdef HOLD
  effectState[c] = HELD
#else
  if
  :: ambiguous[c] < MAX_AMBIGUOUS -> effectState[c] = PENDING
  :: else -> effectState[c] = HELD
  fi
#endif
}

/* A claim of effect c: a pending one, or one whose attempt started under a claim that lapsed. */
inline claim(c) {
  atomic {
    if
    :: effectState[c] == STARTED ->
       /* The attempt in flight belongs to a claim that lapsed: its owner died, or is paused
          and may still be calling. Its outcome is unknown. */
       if :: calling[c] -> lapses++ :: else -> skip fi;
#ifdef BROKEN_AMBIGUITY
       effectState[c] = PENDING
#else
       afterAmbiguity(c)
#endif
    :: else -> skip
    fi;
    owner[c] = me
  }
}

/* The attempt under this worker's claim: write-ahead start (fenced), call, outcome. */
inline startAndCall(c) {
  /* Write-ahead: the attempt is recorded as started in a transaction fenced by the claim, then
     the provider is called (the provider never deduplicates: every call counts). */
  atomic {
#ifdef BROKEN_FENCE
    allowed = !terminal(c);
#else
    allowed = (effectState[c] == PENDING && owner[c] == me);
#endif
    if
    :: allowed ->
       effectState[c] = STARTED;
       calling[c] = true;
       calls[c]++;
       assert(calls[c] <= 1 + ambiguous[c]);
#ifdef HOLD
       assert(calls[c] <= 1);
#endif
#ifdef WITNESS_SECOND_CALL
       assert(calls[c] <= 1); /* must fail under retry: the model does reach a retried call */
#endif
       skip
    :: else -> skip
    fi
  };
  if
  :: allowed ->
     if
     /* An answer is recorded even when late: it settles a held command, never starts a call. */
     :: true -> atomic { if :: effectState[c] == STARTED || effectState[c] == HELD -> effectState[c] = SENT :: else -> skip fi; calling[c] = false }
     :: true -> atomic { if :: effectState[c] == STARTED && owner[c] == me -> effectState[c] = FAILED :: else -> skip fi; calling[c] = false }
     /* Sent, and no answer came (a timeout after sending): ambiguous. */
     :: true -> atomic { if :: effectState[c] == STARTED && owner[c] == me -> afterAmbiguity(c) :: else -> skip fi; calling[c] = false }
     :: crashes < MAX_CRASHES -> atomic { crashes++; calling[c] = false } /* died during the call: the attempt stays started */
     fi
  :: else -> skip
  fi
}

proctype Worker(byte me) {
  byte c;
  bool allowed;
end:
  do
  :: atomic { claimable(0) -> c = 0 }; claim(c); startAndCall(c)
  :: atomic { claimable(1) -> c = 1 }; claim(c); startAndCall(c)
  /* An effect created claimed for this worker (handed over in memory): no claim of its own, straight
     to the fenced start. (Allowed whenever it owns a pending effect: after its own claim that
     step would change nothing.) */
  :: atomic { me == HANDLER && effect[0] && effectState[0] == PENDING && owner[0] == me -> c = 0 }; startAndCall(c)
  :: atomic { me == HANDLER && effect[1] && effectState[1] == PENDING && owner[1] == me -> c = 1 }; startAndCall(c)
  od
}

init {
  byte i;
  atomic {
    for (i : 1 .. WORKERS) { run Worker(i) }
  }
  /* Nothing can move any more: every accepted command must have reached a terminal state. */
  timeout ->
  for (i : 0 .. N - 1) {
    assert(!accepted[i] || (effect[i] && terminal(i)));
#ifdef WITNESS_HELD
    assert(effectState[i] != HELD); /* must fail under hold: the model does reach a held command */
#endif
#ifdef WITNESS_SENT
    assert(effectState[i] != SENT); /* must fail: the model does reach a sent command */
#endif
    skip
  }
}
