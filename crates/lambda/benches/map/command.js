// The same function as a `command`: the event on stdin, the result on stdout.
let text = '';
process.stdin.on('data', (c) => (text += c));
process.stdin.on('end', () => {
  const event = JSON.parse(text);
  process.stdout.write(JSON.stringify({ n: event.n * 2 }));
});
