// Preloaded into dynalite (node --require): a client that hangs up mid-request is the
// client's loss, as it is for DynamoDB. dynalite as published throws from the request's
// error handler (index.js: `req.on('error', function (err) { throw err })`), so one cut
// connection, a network fault a test injects on purpose, would end the emulator.
'use strict'

process.on('uncaughtException', (err) => {
  if (err && err.code === 'ECONNRESET' && err.message === 'aborted') {
    console.error('dynalite: a client hung up mid-request; carrying on')
    return
  }
  console.error(err)
  process.exit(1)
})
