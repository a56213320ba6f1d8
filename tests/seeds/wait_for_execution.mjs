// The reference document's polling loop for pipeline executions, unchanged but for:
// the base URL and token come from the environment, and the TypeScript annotation
// `executionId: string` is dropped so Node runs it as plain JavaScript.
const base = process.env.BASE_URL;
const apiToken = process.env.API_TOKEN;

async function waitForExecution(executionId) {
while (true) {
const response = await fetch(
`${base}/pipeline-executions/${executionId}`,
{ headers: { Authorization: `Bearer ${apiToken}` } }
);
const execution = await response.json();
if (execution.status === "succeeded") {
return execution.output;
}
if (execution.status === "failed") {
throw new Error(execution.errorMessage);
}
if (execution.status === "cancelled") {
throw new Error("Execution was cancelled");
}
console.log(`Progress: ${execution.progressPct}% - ${execution.progressMessage}`);
await new Promise(r => setTimeout(r, 2000)); // Poll every 2 seconds
}
}

waitForExecution(process.argv[2]).then(
  (output) => { console.log(JSON.stringify({ output })); },
  (error) => { console.log(JSON.stringify({ error: error.message })); process.exitCode = 1; },
);
