// Evaluates cases with jsonata-js 2.0.6, as Step Functions binds them: no context value,
// `$states` bound. Reads [{expr, input}] as JSON on stdin; writes one answer per case:
// {"value": …}, {"undefined": true} or {"error": "<code>"}.
const jsonata = require("jsonata");

let text = "";
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", async () => {
  const answers = [];
  for (const c of JSON.parse(text)) {
    try {
      const states = { input: c.input, context: c.context || {} };
      const result = await jsonata(c.expr).evaluate(undefined, { states });
      answers.push(
        result === undefined ? { undefined: true } : { value: JSON.parse(JSON.stringify(result)) }
      );
    } catch (e) {
      answers.push({ error: e.code || String(e) });
    }
  }
  process.stdout.write(JSON.stringify(answers));
});
