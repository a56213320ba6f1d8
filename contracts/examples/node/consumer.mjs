// A downstream service's consumer of execution events, in Node.js: every event checked against the
// published JSON Schema (contracts/schemas/execution-event.json) before it is used.
//
//   cd contracts/examples/node && npm ci
//   KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 EVENTS_TOPIC=executions.events node consumer.mjs
//
// kafkajs reads with read_committed by default (the handler writes in transactions); records are
// keyed by execution id, so one execution's events arrive in order. A record that does not match
// the contract is reported and skipped, never allowed to stop the consumer. Prints one JSON line
// per event, then a summary once nothing new has come for IDLE_EXIT_MS.
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const schema = JSON.parse(readFileSync(new URL("../../schemas/execution-event.json", import.meta.url)));
const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
const validate = ajv.compile(schema);

const brokers = (process.env.KAFKA_BOOTSTRAP_SERVERS || "127.0.0.1:9092").split(",");
const topic = process.env.EVENTS_TOPIC || "executions.events";
const idleExitMs = Number(process.env.IDLE_EXIT_MS || 5000);
const groupId = process.env.CONSUMER_GROUP || `example-node-${Date.now()}`;

const kafka = new Kafka({ clientId: "example-node-consumer", brokers, logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId, readUncommitted: false });
let valid = 0;
let invalid = 0;
let lastSeen = Date.now();

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    lastSeen = Date.now();
    let event;
    try {
      event = JSON.parse(message.value.toString("utf8"));
    } catch (error) {
      invalid += 1;
      console.log(JSON.stringify({ invalid: `${partition}:${message.offset}`, why: "not JSON" }));
      return;
    }
    if (!validate(event)) {
      invalid += 1;
      console.log(JSON.stringify({ invalid: `${partition}:${message.offset}`, why: ajv.errorsText(validate.errors).slice(0, 200) }));
      return;
    }
    valid += 1;
    console.log(JSON.stringify({ type: event.type, subject: event.subject, sequence: event.sequence }));
  },
});

const timer = setInterval(async () => {
  if (Date.now() - lastSeen < idleExitMs) return;
  clearInterval(timer);
  await consumer.disconnect();
  console.log(JSON.stringify({ valid, invalid }));
  process.exit(0);
}, 250);
