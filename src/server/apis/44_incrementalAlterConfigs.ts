// IncrementalAlterConfigs v0–1: SET, DELETE, APPEND and SUBTRACT, validated as a whole before
// anything changes, on a topic's overrides, a broker's or the cluster default's dynamic configs,
// a client-metrics subscription (all through the controller), and broker loggers (applied here
// at once and not stored, as Kafka's RuntimeLoggerManager).
import { ErrorCode } from '../../protocol/errors.js';
import {
  decodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
  IncrementalAlterConfigsApi,
} from '../../protocol/messages/IncrementalAlterConfigs.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../protocol/messages/IncrementalAlterConfigs.js';
import { applyConfigOp, applyListOp, brokerConfigDefault, configTypeCode, validateTopicConfig } from '../../common/KafkaConfig.js';
import { LOG4J_LEVELS, loggerExists, ROOT_LOGGER, setLoggerLevel } from '../../logger.js';
import type { Broker } from '../Broker.js';
import { defineApi } from './Api.js';
import { alterTopicConfigs, ConfigResourceType, duplicateResources, precheck, resourceErrors, type ConfigResourceResult } from './configSources.js';

type Resource = IncrementalAlterConfigsRequest['resources'][number];

const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

/** Kafka's RuntimeLoggerManager: validate every change, then apply them all (unless validate_only). */
function alterLoggers(broker: Broker, res: Resource, validateOnly: boolean): ConfigResourceResult {
  const result = (errorCode: number, errorMessage: string | null = null): ConfigResourceResult => ({
    errorCode,
    errorMessage,
    resourceType: res.resourceType,
    resourceName: res.resourceName,
  });
  if (!/^-?\d+$/.test(res.resourceName)) return result(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${res.resourceName}`);
  if (Number(res.resourceName) !== broker.nodeId) return result(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.nodeId}, but received ${res.resourceName}`);
  for (const c of res.configs) {
    if (c.configOperation === 0) {
      if (!loggerExists(c.name)) return result(ErrorCode.INVALID_CONFIG, `Logger ${c.name} does not exist!`);
      if (c.value === null || !(c.value in LOG4J_LEVELS)) {
        return result(ErrorCode.INVALID_CONFIG, `Cannot set the log level of ${c.name} to ${c.value} as it is not a supported log level. Valid log4j levels are ${Object.keys(LOG4J_LEVELS).join(', ')}`);
      }
    } else if (c.configOperation === 1) {
      if (c.name === ROOT_LOGGER) return result(ErrorCode.INVALID_REQUEST, 'Removing the log level of the root logger is not allowed');
      if (!loggerExists(c.name)) return result(ErrorCode.INVALID_CONFIG, `Logger ${c.name} does not exist!`);
    } else {
      return result(ErrorCode.INVALID_REQUEST, `${OP_NAMES[c.configOperation] ?? c.configOperation} operation is not allowed for the BROKER_LOGGER resource`);
    }
  }
  if (!validateOnly) for (const c of res.configs) setLoggerLevel(c.name, c.configOperation === 0 ? c.value : null);
  return result(ErrorCode.NONE);
}

const LIST_CLIENT_METRICS = new Set(['metrics', 'match']);

export const incrementalAlterConfigsApi = defineApi(
  IncrementalAlterConfigsApi,
  [0, 1],
  { decodeRequest: decodeIncrementalAlterConfigsRequest, encodeResponse: encodeIncrementalAlterConfigsResponse },
  async (ctx, req): Promise<IncrementalAlterConfigsResponse> => {
    const dups = duplicateResources(req.resources);
    const responses = await Promise.all(
      req.resources.map(async (res) => {
        const bad = precheck(res, dups);
        if (bad) return bad;
        if (res.resourceType === ConfigResourceType.BROKER_LOGGER) return alterLoggers(ctx.broker, res, req.validateOnly);
        return alterTopicConfigs(ctx.broker, res, req.validateOnly, (configs) => {
          for (const c of res.configs) {
            let problem: string | null;
            if (res.resourceType === ConfigResourceType.TOPIC) {
              problem =
                applyConfigOp(ctx.broker.config, configs, c.name, c.configOperation, c.value) ??
                (configs[c.name] !== undefined ? validateTopicConfig(c.name, configs[c.name]!) : null);
            } else {
              const isList = res.resourceType === ConfigResourceType.CLIENT_METRICS ? LIST_CLIENT_METRICS.has(c.name) : configTypeCode(c.name, 'broker') === 7;
              problem = applyListOp(configs, c.name, c.configOperation, c.value, isList, () => (res.resourceType === ConfigResourceType.BROKER ? brokerConfigDefault(c.name) : ''));
            }
            if (problem) return problem;
          }
          return configs;
        });
      }),
    );
    return { throttleTimeMs: 0, responses };
  },
  (req, code, _v, message = null) => ({ throttleTimeMs: 0, responses: resourceErrors(req.resources, code, message) }),
);
