// The trivial handler the benchmark invokes: the event back, doubled.
exports.handler = async (event) => ({ n: event.n * 2 });
