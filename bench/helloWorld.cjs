// The Functions Framework's own ceiling on this machine: the baseline that
// the benchmarks print beside the service's figures.
const functions = require('@google-cloud/functions-framework');

functions.http('helloWorld', (_req, res) => {
  res.send('Hello, World');
});
