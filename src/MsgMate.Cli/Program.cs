using MsgMate.Cli;

return await MsgMateCli.RunAsync(args, Console.Out, Console.Error);
