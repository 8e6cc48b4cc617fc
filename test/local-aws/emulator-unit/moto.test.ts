import { MotoMissingError } from '../../../local-aws/start';
import { startMoto } from '../../../local-aws/emulator/moto';

describe('startMoto without moto_server', () => {
  const savedPath = process.env['PATH'];

  afterEach(() => {
    process.env['PATH'] = savedPath;
  });

  it('throws MotoMissingError naming the install command', async () => {
    // Prepare
    process.env['PATH'] = '/nonexistent';

    // Act
    const started = startMoto();

    // Assess
    await expect(started).rejects.toBeInstanceOf(MotoMissingError);
    await expect(started).rejects.toThrow("python3 -m pip install 'moto[server]'");
  });
});
