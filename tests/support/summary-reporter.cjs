// Says which Node.js ran the suite (the deployed runtime is Node.js 24), and ends every jest run with one
// plain line, "jest: N passed, N failed, N skipped", that CI reads.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const {
      numPassedTests: passed,
      numFailedTests: failed,
      numPendingTests: skipped,
      numTodoTests: todo,
    } = results;
    process.stdout.write(
      `\nThese tests ran on Node.js ${process.version} (${process.execPath}).\n`,
    );
    process.stdout.write(`jest: ${passed} passed, ${failed} failed, ${skipped + todo} skipped\n`);
  }
}
module.exports = SummaryReporter;
