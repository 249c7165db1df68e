// AutoTopicCreationManager: one creation request per internal topic at a time, and a failed one
// does not stick (the next call asks the controller again).
import { describe, expect, it } from 'vitest';
import { KafkaConfig } from '../src/common/KafkaConfig.js';
import { createLogger } from '../src/logger.js';
import { ErrorCode } from '../src/protocol/errors.js';
import type * as M from '../src/protocol/messages/index.js';
import type { BrokerToController } from '../src/replication/BrokerToController.js';
import { MetadataImage } from '../src/replication/MetadataImage.js';
import { AutoTopicCreationManager } from '../src/server/AutoTopicCreationManager.js';

function manager(controller: () => BrokerToController): AutoTopicCreationManager {
  return new AutoTopicCreationManager({
    config: new KafkaConfig({}),
    image: new MetadataImage(),
    controller,
    createTopics: () => Promise.reject(new Error('not used')),
    waitFor: () => Promise.resolve(),
    log: createLogger('auto-topic-test'),
  });
}

/** A controller channel answering CreateTopics with `code`, counting the requests. */
function answering(code: number, counter: { n: number }): BrokerToController {
  return {
    createTopics: async (req: M.CreateTopicsRequest) => {
      counter.n++;
      return { topics: req.topics.map((t) => ({ name: t.name, errorCode: code, errorMessage: null })) };
    },
  } as unknown as BrokerToController;
}

describe('AutoTopicCreationManager', () => {
  it('a creation asked while the controller channel is down answers COORDINATOR_NOT_AVAILABLE once; the next call asks again', async () => {
    const counter = { n: 0 };
    let up = false;
    const m = manager(() => {
      if (!up) throw new Error('broker not running');
      return answering(ErrorCode.NONE, counter);
    });
    expect(await m.createOffsetsTopic()).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    up = true;
    expect(await m.createOffsetsTopic()).toBe(ErrorCode.NONE);
    expect(await m.createTransactionTopic()).toBe(ErrorCode.NONE);
    expect(counter.n).toBe(2);
  });

  it('concurrent calls share one request; a later call makes a new one', async () => {
    const counter = { n: 0 };
    const m = manager(() => answering(ErrorCode.TOPIC_ALREADY_EXISTS, counter));
    const [a, b] = await Promise.all([m.createOffsetsTopic(), m.createOffsetsTopic()]);
    expect([a, b]).toEqual([ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.TOPIC_ALREADY_EXISTS]);
    expect(counter.n).toBe(1);
    await m.createOffsetsTopic();
    expect(counter.n).toBe(2);
  });
});
