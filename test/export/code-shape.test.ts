import { codeShape } from '../support/code-shape';

const english = `d2l.plot(x, ys, { xlabel: 'x', legend: params.map(([mu, s]) => \`mean \${mu}, std \${s}\`) }); // plot
console.log(\`epoch \${epoch + 1}, loss \${l.toFixed(6)}\`);`;

test('cells that differ only in strings and whitespace have one shape', () => {
  const chinese = `d2l.plot(x, ys, {   xlabel: '横轴', legend: params.map(([mu, s]) => \`均值 \${mu}，标准差 \${s}\`) }); // plot
console.log(\`第 \${epoch + 1} 轮，损失 \${l.toFixed(6)}\`);`;
  expect(codeShape(chinese)).toEqual(codeShape(english));
});

test.each([
  ['an expression inside a template', english.replace('${epoch + 1}', '${epoch}')],
  ['a name', english.replace('xlabel', 'ylabel')],
  ['a number', english.replace('toFixed(6)', 'toFixed(4)')],
  ['a comment', english.replace('// plot', '// 画图')],
  ['a string turned into code', english.replace("'x'", 'x')],
])('a change of %s changes the shape', (_what, changed) => {
  expect(codeShape(changed)).not.toEqual(codeShape(english));
});

test('nested templates and object literals inside ${} keep their expressions', () => {
  const a = 'const o = `a ${ {k: 1}.k } b ${`in ${x}`} c`;';
  expect(codeShape(a.replace('a $', 'A $').replace('in $', 'IN $'))).toEqual(codeShape(a));
  expect(codeShape(a.replace('{k: 1}', '{k: 2}'))).not.toEqual(codeShape(a));
});
